"""LocalFolderStore: the embedded default, one markdown file per page.

A page's id is its file name without ``.md`` (the router page is ``router.md``). Writes are
atomic (temporary file, fsync, rename, fsync of the folder), so a crash leaves either the old
page or the new one, never half of one. Appends write whole lines in one ``write`` and fsync;
a torn last line left by a crash is trimmed before the next append. Change detection hashes
the content: modification times lie (editors, ``git checkout`` and copies keep or reset them).

The folder is not trusted. A page is a regular file directly in it, named ``<id>.md``:

- **Symbolic links are refused**, wherever they point: never listed, read, served, adopted by
  ``sync --adopt`` or written through. One leaving the workspace could expose any file the
  service can read; one staying inside would make two ids of one page (and an atomic write
  would silently replace the link with a copy). Every open uses ``O_NOFOLLOW``, so a link
  swapped in after the listing is refused too. The workspace folder itself may be reached
  through a link (it is resolved once).
- **Files the store cannot use are named**, with the reason and what to do, by
  :meth:`LocalFolderStore.unusable_files` (``brain sync`` prints them): links, a folder named
  like a page, a named pipe or device, a name that is not a page id, markdown with another
  extension (``.MD``, ``.markdown``), an unreadable file. A file that is not UTF-8 is a page
  with a problem: ``read`` raises :class:`PageError` naming the line (``sync`` reports it).
- Hidden entries (``.brain``, ``.git``, the ``.<id>.*.tmp`` files of writes), subfolders and
  files with other extensions (``brain.toml``, images) are not pages and are passed over.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import tempfile
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path

from shards.errors import PageError, PageNotFound, StoreUnavailable, WorkspaceError
from shards.store import PageRef, StoredPage, UnusableFile, check_blocks

_PAGE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
SUFFIX = ".md"
#: Markdown under another name: reported, since its owner surely meant it as a page.
_OTHER_MARKDOWN = frozenset({".markdown", ".mdown", ".mkd", ".mkdn", ".mdwn", ".mdtxt"})
#: Never through a link, never blocking on a pipe. (Platforms without O_NOFOLLOW, i.e.
#: Windows, fall back on the lstat check before each open.)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_OPEN_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


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
        self._root = self.path.resolve()

    # -- reading -------------------------------------------------------------------------

    def list_pages(self) -> list[PageRef]:
        refs = []
        for entry in self._entries():
            if not entry.name.endswith(SUFFIX) or _unusable(entry, self._root) is not None:
                continue
            page_id = entry.name[: -len(SUFFIX)]
            try:
                data = self._read_bytes(page_id)
            except (OSError, PageError):
                continue  # changed since the check; unusable_files() names it
            refs.append(PageRef(page_id, _hash_bytes(data), self.url(page_id)))
        return refs

    def unusable_files(self) -> list[UnusableFile]:
        """Every file that looks meant as a page but cannot be one, with what to do."""
        return [u for e in self._entries() if (u := _unusable(e, self._root)) is not None]

    def read(self, page_id: str) -> StoredPage:
        file = self._file(page_id)
        try:
            data = self._read_bytes(page_id)
        except FileNotFoundError:
            raise PageNotFound(
                f"no page {page_id!r} in workspace {str(self.path)!r}",
                page_id=page_id,
                hint=f"Expected the file {str(file)!r}.",
            ) from None
        except OSError as exc:
            raise PageError(
                f"cannot read {file.name!r}: {exc.strerror or exc}",
                page_id=page_id,
                hint="Fix the file's permissions (chmod u+r) or move it out of the workspace.",
            ) from exc
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
            data = self._read_bytes(page_id)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise _disk_error("read", page_id, self.path, exc) from exc
        complete = data[: data.rfind(b"\n") + 1] if not data.endswith(b"\n") else data
        lines = [ln for ln in complete.decode("utf-8", "replace").split("\n") if ln]
        return lines[-count:] if count > 0 else []

    def url(self, page_id: str) -> str:
        return (self._root / self._file(page_id).name).as_uri()

    # -- writing -------------------------------------------------------------------------

    def write(self, page_id: str, text: str) -> PageRef:
        file = self._file(page_id)
        self._check_replaceable(page_id, file)
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
        self._check_replaceable(page_id, file)
        try:
            fd = os.open(file, os.O_RDWR | os.O_CREAT | os.O_APPEND | _OPEN_FLAGS, 0o644)
        except OSError as exc:
            raise self._refusal(page_id, file, exc, "append to") from exc
        try:
            with os.fdopen(fd, "ab+") as handle:
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

    def _entries(self) -> Iterator[os.DirEntry[str]]:
        """The folder's visible entries, sorted by name (hidden ones are never pages)."""
        try:
            with os.scandir(self.path) as found:
                entries = sorted((e for e in found if not e.name.startswith(".")), key=_key)
        except OSError as exc:
            raise WorkspaceError(
                f"cannot list workspace folder {str(self.path)!r}: {exc.strerror or exc}",
                hint="Check that the folder exists and is readable.",
            ) from exc
        yield from entries

    def _read_bytes(self, page_id: str) -> bytes:
        """The page file's bytes; a link, a folder or a pipe is refused (:class:`PageError`)."""
        file = self._file(page_id)
        if not _NOFOLLOW and file.is_symlink():
            raise self._refusal(page_id, file, OSError(errno.ELOOP, "symbolic link"))
        try:
            fd = os.open(file, _OPEN_FLAGS)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                raise
            raise self._refusal(page_id, file, exc) from exc
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            os.close(fd)
            raise
        if not stat.S_ISREG(mode):
            os.close(fd)
            raise PageError(
                f"{file.name!r} is {_kind(mode)}, not a page file",
                page_id=page_id,
                hint="Pages are regular markdown files; rename or remove it.",
            )
        with os.fdopen(fd, "rb") as handle:
            return handle.read()

    def _refusal(self, page_id: str, file: Path, exc: OSError, verb: str = "read") -> Exception:
        """The error for a failed open: a link is refused for good, the rest is the disk's."""
        if exc.errno == errno.ELOOP or file.is_symlink():
            return PageError(
                f"{file.name!r} is a symbolic link; the workspace never follows links",
                page_id=page_id,
                hint="Replace the link with the file itself, or delete it (see `brain sync`).",
            )
        if verb == "read" and isinstance(exc, PermissionError):  # for good, until someone acts
            return PageError(
                f"cannot read {file.name!r}: {exc.strerror or exc}",
                page_id=page_id,
                hint=f"Fix its permissions (chmod u+r {file.name}) or move it out of the folder.",
            )
        return _disk_error(verb, page_id, self.path, exc)

    def _check_replaceable(self, page_id: str, file: Path) -> None:
        """A write never replaces a link or a folder: it would drop what the owner put there."""
        try:
            mode = file.lstat().st_mode
        except FileNotFoundError:
            return
        except OSError as exc:
            raise _disk_error("write", page_id, self.path, exc) from exc
        if not stat.S_ISREG(mode):
            raise PageError(
                f"{file.name!r} is {_kind(mode)}; refusing to write the page over it",
                page_id=page_id,
                hint="Move it out of the workspace (see `brain sync`), then retry.",
            )

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


def _key(entry: os.DirEntry[str]) -> str:
    return entry.name


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _shown(name: str) -> str:
    """A file name as printable text (undecodable bytes as ``\\xNN``)."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _page_id_for(stem: str) -> str:
    """A valid page id close to ``stem``, for the hint (``Café notes`` -> ``Cafe-notes``)."""
    ascii_stem = unicodedata.normalize("NFKD", _shown(stem)).replace("\\x", "-")
    candidate = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_stem.encode("ascii", "ignore").decode())
    candidate = candidate.lstrip("._-")[:128].rstrip("-") or "page"
    return candidate


def _unusable(entry: os.DirEntry[str], root: Path) -> UnusableFile | None:
    """Why this folder entry cannot be a page, or None (a page, or not meant as one)."""
    name, shown = entry.name, _shown(entry.name)
    stem, dot, suffix = name.rpartition(".")
    meant = name.endswith(SUFFIX) or (
        dot and stem and ("." + suffix.lower() in _OTHER_MARKDOWN or suffix.lower() == "md")
    )
    if not meant:
        return None  # brain.toml, images, subfolders: not pages, not reported
    if entry.is_symlink():
        return _link(entry, root, shown)
    try:
        mode = entry.stat(follow_symlinks=False).st_mode
    except OSError as exc:
        return UnusableFile(shown, f"cannot be examined: {exc.strerror or exc}", _MOVE_OUT)
    if stat.S_ISDIR(mode):
        return UnusableFile(
            shown,
            "a folder named like a page (pages are files; the folder is not read)",
            "Rename the folder, or move the pages inside it up into the workspace.",
        )
    if not stat.S_ISREG(mode):
        return UnusableFile(shown, f"{_kind(mode)}, not a page file", _MOVE_OUT)
    if not name.endswith(SUFFIX):
        return UnusableFile(
            shown,
            f"markdown with the extension '.{suffix}'; the store reads '{SUFFIX}' files only",
            f"Rename it to {_page_id_for(stem)}{SUFFIX}.",
        )
    page_id = name[: -len(SUFFIX)]
    if not _PAGE_ID.match(page_id):
        return UnusableFile(
            shown,
            f"the name is not a page id ({_why_not_an_id(page_id)})",
            f"Rename it to {_page_id_for(page_id)}{SUFFIX}: letters, digits, '.', '_' and '-', "
            "starting with a letter or digit, at most 128 characters.",
        )
    try:
        os.close(os.open(entry.path, _OPEN_FLAGS))
    except OSError as exc:
        return UnusableFile(
            shown,
            f"cannot be read: {exc.strerror or exc}",
            f"Fix its permissions (chmod u+r {shown}) or move it out of the workspace.",
        )
    return None


_MOVE_OUT = "Move it out of the workspace; pages are regular markdown files."


def _why_not_an_id(page_id: str) -> str:
    if not page_id:
        return "it is empty"
    if len(page_id) > 128:
        return f"{len(page_id)} characters, over 128"
    if not page_id[0].isascii() or not page_id[0].isalnum():
        return f"it starts with {_shown(page_id[0])!r}"
    bad = sorted({_shown(c) for c in page_id if not re.match(r"[A-Za-z0-9._-]", c)})
    return "it holds " + ", ".join(repr(c) for c in bad)


def _link(entry: os.DirEntry[str], root: Path, shown: str) -> UnusableFile:
    """A symbolic link, described by where it points."""
    try:
        target = Path(os.path.realpath(entry.path))
    except (OSError, RuntimeError):  # a loop
        return UnusableFile(shown, "a symbolic link that loops", "Delete the link.")
    if not target.exists():
        return UnusableFile(
            shown, f"a symbolic link to {str(target)!r}, which does not exist", "Delete the link."
        )
    if not target.is_relative_to(root):
        return UnusableFile(
            shown,
            f"a symbolic link to {str(target)!r}, outside the workspace: refused, never read, "
            "served or adopted",
            "If the file belongs in the index, copy it in place of the link "
            f"(cp --remove-destination {str(target)!r} {shown!r}); otherwise delete the link.",
        )
    inside = target.relative_to(root)
    return UnusableFile(
        shown,
        f"a symbolic link to {str(inside)!r} inside the workspace: refused (a page has one name)",
        "Delete the link; the page it points to is indexed under its own name."
        if inside.parent == Path(".")
        else f"Move {str(inside)!r} here in place of the link.",
    )
