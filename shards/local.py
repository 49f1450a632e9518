"""LocalFolderStore: the embedded default, one markdown file per page.

A page's id is its file name without ``.md`` (the router page is ``router.md``). Writes are
atomic (temporary file, fsync, rename, fsync of the folder), so a crash leaves either the old
page or the new one, never half of one. Appends write whole lines in one ``write`` and fsync;
a torn last line left by a crash is trimmed before the next append. Change detection hashes
the content: modification times lie (editors, ``git checkout`` and copies keep or reset them).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from shards.errors import PageError, PageNotFound, StoreUnavailable, WorkspaceError
from shards.store import PageRef, StoredPage, check_blocks

_PAGE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
SUFFIX = ".md"


class LocalFolderStore:
    """A :class:`shards.store.PageStore` over a folder of markdown files."""

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True) -> None:
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise WorkspaceError(
                f"workspace {str(self.path)!r} is a file, not a folder",
                hint="Pass --workspace with a folder path (it is created when missing).",
            )
        if create:
            try:
                self.path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise WorkspaceError(
                    f"cannot create workspace folder {str(self.path)!r}: {exc.strerror}",
                    hint="Choose a writable folder with --workspace.",
                ) from exc
        elif not self.path.is_dir():
            raise WorkspaceError(f"workspace folder {str(self.path)!r} does not exist")

    # -- reading -------------------------------------------------------------------------

    def list_pages(self) -> list[PageRef]:
        refs = []
        for file in sorted(self.path.glob(f"*{SUFFIX}")):
            page_id = file.name[: -len(SUFFIX)]
            if not _PAGE_ID.match(page_id) or not file.is_file():
                continue
            refs.append(PageRef(page_id, _hash_bytes(file.read_bytes()), self.url(page_id)))
        return refs

    def read(self, page_id: str) -> StoredPage:
        file = self._file(page_id)
        try:
            data = file.read_bytes()
        except FileNotFoundError:
            raise PageNotFound(
                f"no page {page_id!r} in workspace {str(self.path)!r}",
                page_id=page_id,
                hint=f"Expected the file {str(file)!r}.",
            ) from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise PageError(
                f"file is not UTF-8 (bad byte 0x{data[exc.start]:02x} on line {line})",
                page_id=page_id,
                hint="Re-save the file as UTF-8.",
            ) from exc
        return StoredPage(page_id, text, _hash_bytes(data), self.url(page_id))

    def tail(self, page_id: str, count: int) -> list[str]:
        try:
            data = self._file(page_id).read_bytes()
        except FileNotFoundError:
            return []
        complete = data[: data.rfind(b"\n") + 1] if not data.endswith(b"\n") else data
        lines = [ln for ln in complete.decode("utf-8", "replace").split("\n") if ln]
        return lines[-count:] if count > 0 else []

    def url(self, page_id: str) -> str:
        return self._file(page_id).resolve().as_uri()

    # -- writing -------------------------------------------------------------------------

    def write(self, page_id: str, text: str) -> PageRef:
        file = self._file(page_id)
        data = text.encode("utf-8")
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{page_id}.", suffix=".tmp", dir=self.path)
        except OSError as exc:
            raise _disk_error("write", page_id, self.path, exc) from exc
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, file)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise _disk_error("write", page_id, self.path, exc) from exc
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._fsync_dir()
        return PageRef(page_id, _hash_bytes(data), self.url(page_id))

    def append(self, page_id: str, lines: Sequence[str]) -> None:
        """Append blocks; a block holding several lines (packed log lines) stays together."""
        if not lines:
            return
        check_blocks(page_id, lines)
        file = self._file(page_id)
        created = not file.exists()
        payload = "".join(f"{line}\n" for line in lines).encode("utf-8")
        try:
            with open(file, "ab+") as handle:
                size = handle.seek(0, os.SEEK_END)
                if size:
                    handle.seek(size - 1)
                    if handle.read(1) != b"\n":
                        _trim_torn_line(handle, size)
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise _disk_error("append to", page_id, self.path, exc) from exc
        if created:
            self._fsync_dir()

    # -- helpers -------------------------------------------------------------------------

    def _file(self, page_id: str) -> Path:
        if not _PAGE_ID.match(page_id):
            raise PageError(
                "not a valid local page id (letters, digits, '.', '_' and '-' only, "
                "starting with a letter or digit)",
                page_id=page_id,
            )
        return self.path / f"{page_id}{SUFFIX}"

    def _fsync_dir(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:  # pragma: no cover - platforms without directory fds
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _trim_torn_line(handle: object, size: int) -> None:
    """Cut a last line that a crash left without its newline: it was never acknowledged."""
    import io

    assert isinstance(handle, io.BufferedRandom)
    handle.seek(0)
    data = handle.read(size)
    keep = data.rfind(b"\n") + 1
    handle.truncate(keep)
    handle.seek(keep)


def _disk_error(verb: str, page_id: str, folder: Path, exc: OSError) -> StoreUnavailable:
    """A failed disk write (full, read-only, permissions) as a retryable store error."""
    return StoreUnavailable(
        f"cannot {verb} page {page_id!r} in {str(folder)!r}: {exc.strerror or exc}",
        page_id=page_id,
        hint="Free disk space or fix the folder's permissions; nothing was acknowledged, "
        "so retrying is safe.",
    )


def _hash_bytes(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()
