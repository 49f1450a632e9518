"""Errors of the deployment (a branch of the tree drawn in :mod:`shards.errors`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shards.errors import BrainError

if TYPE_CHECKING:
    from infra.apply import Change

__all__ = ["DeployError", "MissingPrerequisites"]


class DeployError(BrainError):
    """A step of ``brain deploy`` failed; what was done before it stays done."""

    code = "deploy_failed"

    def __init__(
        self,
        message: str,
        *,
        resource: str,
        hint: str | None = None,
        done: tuple[Change, ...] = (),
    ) -> None:
        self.resource = resource  # the resource the failed step was about
        self.done = done  # the steps that finished before it (set by apply)
        super().__init__(message, hint=hint)


class MissingPrerequisites(DeployError):
    """Secrets without an enabled version, or an image not pushed: added by a person, not us."""

    code = "deploy_prerequisites"

    def __init__(self, missing: list[tuple[str, str]], *, done: tuple[Change, ...] = ()) -> None:
        self.missing = missing  # (what is missing, the command that adds it)
        lines = "\n".join(f"  - {what}:\n      {command}" for what, command in missing)
        super().__init__(
            f"{len(missing)} thing(s) must exist before the services can start:\n{lines}",
            resource=", ".join(what for what, _ in missing),
            hint="Run each command, then run brain deploy again: what is done stays done.",
            done=done,
        )
