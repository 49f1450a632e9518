"""get_context as a service: validate the request, select, pack, redact, report.

:class:`ContextService` is what the CLI, the HTTP function and the MCP server call. It holds a
:class:`~router.snapshot.SnapshotCache`, so a warm call does no I/O, and runs redaction on the
final text before it is counted: the token count is of what leaves the service.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from router.errors import UnknownShard
from router.pack import (
    IncludedSection,
    Packed,
    PackOptions,
    Redact,
    ShardManifest,
    pack,
)
from router.request import DEFAULT_BUDGET, MAX_BUDGET, MAX_TASK_CHARS, ContextRequest
from router.select import Candidate, Selection, SelectOptions, select
from router.snapshot import (
    ChangeFeed,
    Clock,
    IndexSnapshot,
    SnapshotCache,
    SnapshotOptions,
    StaleEntry,
)
from shards import INCOMPLETE_PAGE, PageStore, Tokenizer

if TYPE_CHECKING:
    from router.semantic import Coverage, Semantic


class RedactedText(Protocol):
    @property
    def text(self) -> str: ...

    @property
    def counts(self) -> Mapping[str, int]: ...


class RedactorLike(Protocol):
    """What :class:`router.redact.Redactor` offers: ``redact(text) -> Redacted``."""

    def redact(self, text: str) -> RedactedText: ...


@dataclass(frozen=True)
class ServiceOptions:
    """Request limits and the options of each stage.

    default_budget: the budget of a request that names none (``[context] default_budget``).
    max_budget: the largest budget a request may ask for.
    max_task_chars: the longest task accepted (a task is a sentence or a paragraph).
    max_hints / max_hint_chars: how many extra phrasings a request may carry, and how long.
    redact: run the redactor on everything that leaves; False only for trusted local use.
    """

    default_budget: int = DEFAULT_BUDGET
    max_budget: int = MAX_BUDGET
    max_task_chars: int = MAX_TASK_CHARS
    redact: bool = True
    snapshot: SnapshotOptions = field(default_factory=SnapshotOptions)
    select: SelectOptions = field(default_factory=SelectOptions)
    pack: PackOptions = field(default_factory=PackOptions)


@dataclass(frozen=True)
class ContextResult:
    """What get_context (and read_shard) return; ``to_json`` is the HTTP response body."""

    context: str
    tokens: int
    budget: int
    shards: tuple[ShardManifest, ...]
    sections: tuple[IncludedSection, ...] = ()
    redactions: Mapping[str, int] = field(default_factory=dict)
    stale: tuple[StaleEntry, ...] = ()
    notes: tuple[str, ...] = ()
    digest: str = "full"
    #: Pages left out because they could not be read whole (``shards.store.INCOMPLETE_PAGE``).
    incomplete: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """DESIGN.md's response (context, tokens, budget, shards) plus the extra fields."""
        return {
            "context": self.context,
            "tokens": self.tokens,
            "budget": self.budget,
            "shards": [s.to_json() for s in self.shards],
            "sections": [s.to_json() for s in self.sections],
            "redactions": dict(self.redactions),
            "stale": [s.to_json() for s in self.stale],
            "notes": list(self.notes),
            "digest": self.digest,
            "incomplete": list(self.incomplete),
        }

    @classmethod
    def from_packed(cls, packed: Packed, snapshot: IndexSnapshot) -> ContextResult:
        notes = list(packed.notes)
        if snapshot.invalid:
            notes.append(
                f"{len(snapshot.invalid)} page(s) left out of the index as invalid: "
                + "; ".join(f"{i.page_id}: {i.message}" for i in snapshot.invalid[:3])
            )
        return cls(
            context=packed.text,
            tokens=packed.tokens,
            budget=packed.budget,
            shards=packed.shards,
            sections=packed.sections,
            redactions=packed.redactions,
            stale=snapshot.stale,
            notes=tuple(notes),
            digest=packed.digest,
            incomplete=tuple(i.page_id for i in snapshot.invalid if INCOMPLETE_PAGE in i.message),
        )


@dataclass(frozen=True)
class ShardInfo:
    """A shard as ``list_shards`` shows it."""

    id: str
    title: str
    summary: str
    fetch_when: tuple[str, ...]
    tokens: int
    updated: str
    url: str
    status: str
    stale: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "fetch_when": list(self.fetch_when),
            "tokens": self.tokens,
            "updated": self.updated,
            "url": self.url,
            "status": self.status,
            "stale": list(self.stale),
        }


class ContextService:
    """get_context, list_shards and read_shard over one page store.

    ``changes`` is an optional change feed (see :data:`router.snapshot.ChangeFeed`): the ids
    of pages edited elsewhere, which the snapshot re-reads without waiting for its next
    version check. ``semantic`` adds the semantic signal (:mod:`router.semantic`) once every
    passage has its vector (:meth:`embed`).
    """

    def __init__(
        self,
        store: PageStore,
        tokenizer: Tokenizer,
        *,
        options: ServiceOptions | None = None,
        redactor: RedactorLike | None = None,
        clock: Clock = time.monotonic,
        changes: ChangeFeed | None = None,
        semantic: Semantic | None = None,
    ) -> None:
        self.options = options or ServiceOptions()
        self.semantic = semantic
        self.tokenizer = tokenizer
        self.cache = SnapshotCache(
            store, tokenizer, options=self.options.snapshot, clock=clock, changes=changes
        )
        self._redact = _redaction(redactor) if self.options.redact else None

    def parse_request(self, payload: object) -> ContextRequest:
        """A request from what an entry point decoded (a mapping of task, budget, shards,
        hints), with this service's default budget and limits; RequestError when bad."""
        opts = self.options
        return ContextRequest.parse(
            payload,
            default_budget=opts.default_budget,
            max_budget=opts.max_budget,
            max_task_chars=opts.max_task_chars,
        )

    def get_context(
        self,
        task: str,
        budget: int | None = None,
        shards: Sequence[str] = (),
        hints: Sequence[str] = (),
    ) -> ContextResult:
        """The context for ``task`` in at most ``budget`` tokens; ``shards`` are read first.

        ``hints`` are extra phrasings of the task (validated here; ranking may weigh them
        below the task). A budget of None is the service's default."""
        payload = {
            "task": task,
            "budget": budget,
            "shards": shards if isinstance(shards, str) else list(shards),
            "hints": hints if isinstance(hints, str) else list(hints),
        }
        return self.answer(self.parse_request(payload))

    def answer(self, request: ContextRequest) -> ContextResult:
        """The context for a validated request."""
        snapshot = self.cache.get()
        self._check_shards(snapshot, request.shards)
        similarities = None
        semantic_note = None
        meaning = " ".join((request.task, *request.hints)).strip()
        if self.semantic is not None and self.options.select.dense and meaning:
            similarities = self.semantic.similarities(snapshot, meaning)
            cover = self.semantic.coverage(snapshot)
            if similarities is None and cover.passages:
                semantic_note = (
                    f"ranked by words only: {cover.embedded} of {cover.passages} passages have "
                    "their meaning vectors so far (`brain sync` computes them, `brain serve` in "
                    "the background, the scheduled sync job on Cloud Run)"
                )
        selection = select(
            snapshot,
            request.task,
            request.shards,
            self.options.select,
            request.hints,
            similarities,
        )
        packed = pack(
            snapshot,
            selection,
            request.budget,
            self.tokenizer,
            self.options.pack,
            redact=self._redact,
        )
        result = ContextResult.from_packed(packed, snapshot)
        if not selection.candidates:
            note = (
                "no section of the index shares a word with the task: the digest lists every "
                "shard; rephrase with the words the notes use, or name shards to read"
            )
            result = replace(result, notes=(*result.notes, note))
        if semantic_note is not None:
            result = replace(result, notes=(*result.notes, semantic_note))
        return result

    def saves_deferred(self) -> AbstractContextManager[None]:
        """Within, an index built on the way to an answer is saved only on leaving: a
        one-shot command prints first (:meth:`SnapshotCache.saves_deferred`)."""
        return self.cache.saves_deferred()

    def embed(
        self,
        *,
        progress: Callable[[int, int], None] | None = None,
        stop: threading.Event | None = None,
        threads: int = 1,
    ) -> Coverage | None:
        """Compute the passage vectors the current snapshot lacks (None when the service has
        no semantic signal) on ``threads`` cores. Slow on a large index: a maintenance step,
        never a request's."""
        if self.semantic is None:
            return None
        return self.semantic.embed_missing(
            self.cache.get(), progress=progress, stop=stop, threads=threads
        )

    def list_shards(self) -> list[ShardInfo]:
        snapshot = self.cache.get()
        return [
            ShardInfo(
                id=s.id,
                title=s.title,
                summary=s.header.summary,
                fetch_when=s.header.fetch_when,
                tokens=s.tokens,
                updated=s.updated,
                url=s.url,
                status=s.header.status,
                stale=s.stale,
            )
            for s in snapshot.shards
        ]

    def read_shard(self, shard_id: str, budget: int | None = None) -> ContextResult:
        """The whole shard with its provenance; cut to ``budget`` (in document order) if given."""
        if budget is not None:  # the same budget rules as get_context, from the request model
            self.parse_request({"task": "", "budget": budget, "shards": [shard_id]})
        snapshot = self.cache.get()
        self._check_shards(snapshot, [shard_id])
        n = snapshot.index_of(shard_id)
        shard = snapshot.shards[n]
        candidates = tuple(
            Candidate(n, m, 0.0, (), requested=True) for m in range(len(shard.sections))
        )
        selection = Selection(candidates, {shard_id: 1.0}, (shard_id,), ())
        limit = budget if budget is not None else self.options.max_budget
        options = PackOptions(digest=False, cutoff=0.0, whole_share=1.0, min_piece_tokens=1)
        packed = pack(snapshot, selection, limit, self.tokenizer, options, redact=self._redact)
        result = ContextResult.from_packed(packed, snapshot)
        return result if budget is not None else _without_budget(result)

    # -- validation -----------------------------------------------------------------------

    @staticmethod
    def _check_shards(snapshot: IndexSnapshot, shards: Sequence[str]) -> None:
        for shard_id in shards:
            if snapshot.index_of(shard_id) < 0:
                raise UnknownShard(shard_id, valid=snapshot.ids())


def _redaction(redactor: RedactorLike | None) -> Redact:
    """The redaction seam as a function; the default is :class:`router.redact.Redactor`."""
    if redactor is None:
        from router.redact import Redactor

        redactor = Redactor()
    chosen = redactor

    def run(text: str) -> tuple[str, Mapping[str, int]]:
        done = chosen.redact(text)
        return done.text, done.counts

    return run


def _without_budget(result: ContextResult) -> ContextResult:
    """read_shard without a budget reports the text's own size as its budget."""
    return replace(result, budget=result.tokens)
