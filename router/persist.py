"""The built index on disk: a new process answers its first query without re-reading pages.

:class:`~router.snapshot.SnapshotCache` saves what it built (the snapshot with its BM25
arrays, every page's text at the version read, each shard's terms, the vocabulary) to one
file, and loads it when it starts. Nothing in the file is trusted blindly:

- the first line is a JSON header (format, code fingerprint, workspace, payload size and
  checksum), read before anything else: a file from an older format or another build of the
  code, from another workspace, truncated or corrupted is refused with the reason, and the
  index is rebuilt (and the file rewritten);
- a loaded index is only a starting point: the cache still lists the store's page versions,
  serves the loaded snapshot only when they all match, and otherwise re-reads just the pages
  whose version moved (the page versions are what the state database's Notion page cache
  keys on too).

Each shard's terms (its analysis) go to a second file beside it (``<name>.terms``), named by
the index file's checksum, and are read only when a resumed cache rebuilds: a page edited
between two processes then costs its own analysis, not every shard's (a 20 MB index: 5.7 s
and 361 MB, all re-analyzed, before), while a process that only serves never holds them.
A terms file that is missing, stale or damaged is ignored: its shards are analyzed again.

Where the two files live is an :class:`IndexPlace`: a folder (:class:`FolderPlace`, what a
path given for ``persist`` means), or, on Cloud Run, where an instance's disk dies with it,
the state database (``functions.saved_index.StateIndexPlace``), so that a new instance
starts from what the scheduled sync job built, as a new local process does. The format is
the same byte for byte in both. A ``read_only`` place is loaded from, never saved to.

The payloads are pickles: they live in the service's own state directory or state database,
written and read only by this service; a checksum is checked before anything is unpickled.
Given a key (``[context] index_key``, a secret the service holds and the database does not),
that checksum is a MAC, keyed BLAKE2b: who can write the state database but does not hold
the key cannot make a file the service will unpickle (and so run code in it). A signed file
is refused without the key, an unsigned one with it, and either is then rebuilt.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import pickle
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, Literal, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from router._vocab import Vocabulary
from router.lexicon import Lexicon, ShardTerms
from router.model import IndexedShard, IndexSnapshot, KeptPage, StaleEntry
from router.select import DocTerms
from router.sync import Issue
from shards import PageRef

log = logging.getLogger(__name__)

_P = TypeVar("_P")

#: Bump when what is saved changes shape or meaning; the code fingerprint catches the rest.
#: 4: the cache's entries hold each shard with its stale reasons (a refresh keeps those of a
#: page it does not read again), where 3's held them without; an indexed page's copy keeps
#: no text (its shard is its last good copy). 5: sections are scored from the passage
#: index (no postings of their own), which keeps each posting's count where its weight
#: cannot give it back.
FORMAT = 5
MAGIC = b"context-index built index\n"
TERMS_MAGIC = b"context-index built index terms\n"
_CODE = (
    "model.py",
    "lexicon.py",
    "select.py",
    "_passages.py",
    "_render.py",
    "_vocab.py",
    "persist.py",
    "snapshot.py",  # (what the cache keeps, and so saves, of each shard)
)


def code_fingerprint() -> str:
    """A digest of the modules that shape the saved index: another build never loads it."""
    digest = hashlib.blake2b(digest_size=8)
    here = Path(__file__).resolve().parent
    for name in _CODE:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class SavedIndex:
    """What a cache needs to resume: its last listing, pages, parsed shards and snapshot."""

    refs: tuple[PageRef, ...]
    pages: dict[str, KeptPage]
    # Per-shard term arrays are not saved (None): a rebuild recomputes them from the shard
    # (the same arrays: every term is in the saved vocabulary), so a process serving from the
    # saved index holds a third less of it (33 MB at 20 MB) and loads it faster.
    entries: dict[str, tuple[IndexedShard, ShardTerms | None]]
    vocab: Vocabulary
    shards: tuple[IndexedShard, ...]
    lexicon: Lexicon
    invalid: tuple[Issue, ...]
    stale: tuple[StaleEntry, ...]
    versions: dict[str, str]
    # Raw token counts that let a new process count its answers without loading the
    # tokenizer's encoder: the snapshot's fixed texts (IndexSnapshot.fixed_raws) and the
    # tokenizer's gap differences (TiktokenCounter.known_gaps). Empty for a tokenizer that
    # does not sum counts.
    seeds: dict[str, int] = field(default_factory=dict)
    gaps: dict[tuple[str, int], int] = field(default_factory=dict)
    # The payload's checksum, set by load(): the terms file written with it names it.
    checksum: str = ""

    def snapshot(self, generation: int = 1) -> IndexSnapshot:
        return IndexSnapshot(
            shards=self.shards,
            lexicon=self.lexicon,
            invalid=self.invalid,
            stale=self.stale,
            versions=self.versions,
            generation=generation,
        ).seeded(self.seeds)


@dataclass(frozen=True)
class SavedTerms:
    """Each shard's terms as a build left them (:class:`~router.lexicon.ShardTerms`), in the
    saved snapshot's shard order. The passages' term ids and offsets are the saved lexicon's
    own arrays (``passage_terms``, ``passage_ptr``), so only their counts and lengths are
    here: :meth:`terms` makes each shard's passages views into the lexicon, as a build does
    (:func:`router.lexicon.share_passages`)."""

    pages: tuple[str, ...]  # each shard's page id
    fields: tuple[DocTerms, ...]
    headings: tuple[DocTerms, ...]
    passage_counts: tuple[tuple[int, ...], ...]
    # every passage's term counts and length, in the lexicon's order
    counts: npt.NDArray[np.int32] | npt.NDArray[np.uint16]
    lengths: npt.NDArray[np.int32]

    @classmethod
    def of(cls, pages: Sequence[str], terms: Sequence[ShardTerms]) -> SavedTerms:
        """From the shards' terms in the snapshot's order (their passages, concatenated, are
        the lexicon's: the build shared them)."""
        passages = [t.passages for t in terms]
        return cls(
            pages=tuple(pages),
            fields=tuple(t.fields for t in terms),
            headings=tuple(t.headings for t in terms),
            passage_counts=tuple(t.passage_counts for t in terms),
            counts=np.concatenate([p.counts for p in passages] or [np.zeros(0, np.int32)]),
            lengths=np.concatenate([p.lengths for p in passages] or [np.zeros(0, np.int32)]),
        )

    def terms(self, lexicon: Lexicon) -> dict[str, ShardTerms] | None:
        """Page id -> its shard's terms, passages as views into ``lexicon``; None when these
        do not fit it (then they are not used)."""
        ptr, ids = lexicon.passage_ptr, lexicon.passage_terms
        if len(self.counts) != len(ids) or len(self.lengths) != len(ptr) - 1:
            return None
        out: dict[str, ShardTerms] = {}
        doc = 0
        for page, fields_, headings, per_section in zip(
            self.pages, self.fields, self.headings, self.passage_counts, strict=True
        ):
            end = doc + sum(per_section)
            lo, hi = int(ptr[doc]), int(ptr[end])
            view = DocTerms(
                ptr[doc : end + 1] - lo, ids[lo:hi], self.counts[lo:hi], self.lengths[doc:end]
            )
            out[page] = ShardTerms(fields_, headings, view, per_section)
            doc = end
        return out if doc == len(self.lengths) else None


def terms_path(path: Path) -> Path:
    """Where the terms of the index saved at ``path`` go."""
    return path.with_name(path.name + ".terms")


# -- where the files live ---------------------------------------------------------------------

#: The two files of a saved index: the index itself, and its shards' terms.
IndexFile = Literal["index", "terms"]


class IndexWriter(Protocol):
    """One file being written: the payload's bytes, then :meth:`finish` with the head (the
    magic and header line, written first in the file but known only once the payload is).
    Leaving the context without ``finish``, or by an exception, leaves the old file as it was."""

    def write(self, data: Any) -> int: ...  # bytes, or a PickleBuffer for large arrays

    def finish(self, head: bytes) -> None: ...


class IndexPlace(Protocol):
    """Where a saved index's two files are kept (see the module docstring). A place that is
    ``read_only`` is loaded from but never saved to (another process writes it)."""

    @property
    def read_only(self) -> bool: ...

    def where(self, kind: IndexFile) -> str:
        """The file, named for messages (a path, or a row of the state database)."""
        ...

    def reader(self, kind: IndexFile) -> AbstractContextManager[IO[bytes]]:
        """The file from its first byte, seekable back to any position it told; raises
        FileNotFoundError when there is none, OSError when it cannot be read."""
        ...

    def writer(self, kind: IndexFile, head_bytes: int) -> AbstractContextManager[IndexWriter]:
        """A new version of the file, whose head will be ``head_bytes`` long; it replaces the
        old one atomically at ``finish`` (a reader sees the old file or the new, whole)."""
        ...


@dataclass(frozen=True)
class FolderPlace:
    """The saved index at ``path`` and its terms beside it (:func:`terms_path`)."""

    path: Path
    read_only: bool = False

    def where(self, kind: IndexFile) -> str:
        return str(self.path if kind == "index" else terms_path(self.path))

    def reader(self, kind: IndexFile) -> AbstractContextManager[IO[bytes]]:
        return Path(self.where(kind)).open("rb")

    @contextmanager
    def writer(self, kind: IndexFile, head_bytes: int) -> Iterator[IndexWriter]:
        """A temp file beside the target, fsynced and renamed over it at ``finish``."""
        path = Path(self.where(kind))
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(b" " * head_bytes)
                done = _FileWriter(out)
                yield done
                if not done.finished:
                    raise OSError(f"{path}: the writer left without finishing")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class _FileWriter:
    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self.finished = False

    def write(self, data: Any) -> int:
        return self._out.write(data)

    def finish(self, head: bytes) -> None:
        self._out.seek(0)
        self._out.write(head)
        self._out.flush()
        os.fsync(self._out.fileno())
        self.finished = True


def as_place(where: IndexPlace | Path) -> IndexPlace:
    """A path is the folder place of the index saved there."""
    return FolderPlace(where) if isinstance(where, Path) else where


#: The header line is padded to this size, so it can be written after the payload.
HEADER_BYTES = 1024


def _digest(key: bytes | None) -> hashlib.blake2b:
    """The payload's checksum: BLAKE2b, keyed (a MAC) when there is a key."""
    return hashlib.blake2b(digest_size=16, key=key or b"")


class _Hashing:
    """A binary file wrapper that hashes and counts what is written through it."""

    def __init__(self, out: Any, key: bytes | None) -> None:
        self._out = out
        self.digest = _digest(key)
        self.size = 0

    def write(self, data: Any) -> int:  # bytes, or a PickleBuffer for large arrays
        view = memoryview(data)
        self.digest.update(view)
        self.size += view.nbytes
        written: int = self._out.write(view)
        return written


def save(
    where: IndexPlace | Path,
    saved: SavedIndex,
    *,
    workspace: str,
    build: str,
    key: bytes | None = None,
) -> str:
    """Write ``saved`` atomically (a folder: temp file, fsync, rename), streaming: the payload
    is never held in memory whole; signed with ``key`` when given. Returns the payload's
    checksum (its terms file names it)."""
    header = {"format": FORMAT, "code": code_fingerprint(), "build": build, "workspace": workspace}
    return _write(as_place(where), "index", MAGIC, saved, header, key)


def save_terms(
    where: IndexPlace | Path, terms: SavedTerms, *, checksum: str, key: bytes | None = None
) -> None:
    """Write the terms of the index saved at ``where`` with payload ``checksum`` beside it."""
    header = {"format": FORMAT, "code": code_fingerprint(), "index": checksum}
    _write(as_place(where), "terms", TERMS_MAGIC, terms, header, key)


def load(
    where: IndexPlace | Path, *, workspace: str, build: str, key: bytes | None = None
) -> tuple[SavedIndex | None, str]:
    """The saved index, or None and why it cannot be used (the caller rebuilds). With a
    ``key``, only a file signed with it is loaded; without one, only an unsigned file.

    The checksum is computed in chunks and the payload unpickled from the file, so loading
    never holds the file's bytes and the objects built from them at once."""
    place = as_place(where)
    refusal = _index_refusal(place.where("index"), workspace, build, then="rebuilding")
    saved, checksum, why = _read(place, "index", MAGIC, SavedIndex, refusal, key, then="rebuilding")
    return (replace(saved, checksum=checksum), "") if saved is not None else (None, why)


def _index_refusal(
    name: str, workspace: str, build: str | None, *, then: str
) -> Callable[[dict[str, Any]], str]:
    """Why a saved index's header fields rule it out for ``workspace`` and ``build`` (None:
    not judged), or ""."""

    def refusal(header: dict[str, Any]) -> str:
        if header.get("workspace") != workspace:
            return (
                f"{name} belongs to another workspace ({header.get('workspace')!r}, "
                f"not {workspace!r}); {then}"
            )
        if build is not None and header.get("build") != build:
            return f"{name} was built with other options; {then}"
        return ""

    return refusal


def load_terms(
    where: IndexPlace | Path, *, checksum: str, key: bytes | None = None
) -> tuple[SavedTerms | None, str]:
    """The terms saved beside the index at ``where`` whose payload has ``checksum`` (signed
    with ``key`` as :func:`load` asks), or None and why not (the caller analyzes the shards
    again)."""
    place = as_place(where)
    name = place.where("terms")

    def refusal(header: dict[str, Any]) -> str:
        if header.get("index") != checksum:
            return f"{name} belongs to another saved index; analyzing again"
        return ""

    terms, _, why = _read(
        place, "terms", TERMS_MAGIC, SavedTerms, refusal, key, then="analyzing again"
    )
    return terms, why


def header_problem(
    where: IndexPlace | Path, *, workspace: str, then: str, signed: bool = False
) -> str:
    """Why the saved index at ``where`` would not be loaded, judged from its header alone
    (its format, code and workspace, and whether it is ``signed``, as :func:`load` judges
    them given a key or not; not its checksum, which reads the file whole, nor its build
    options, which only a cache knows), or "" when the header says nothing against it; each
    reason ends with ``then``. For ``brain doctor``."""
    place = as_place(where)
    name = place.where("index")
    try:
        with place.reader("index") as src:
            line = _header_line(src, MAGIC)
    except FileNotFoundError:
        return f"no saved index at {name}"
    except OSError as exc:
        return f"cannot read {name} ({exc}); {then}"
    if line is None:
        return f"{name} is not a saved index; {then}"
    refusal = _index_refusal(name, workspace, None, then=then)
    return _header_refusal(name, line, refusal, signed, then)[1]


def _write(
    place: IndexPlace,
    kind: IndexFile,
    magic: bytes,
    payload: object,
    header: dict[str, Any],
    key: bytes | None,
) -> str:
    """``magic``, a JSON header line (``header`` with the payload's size and checksum, and
    whether that is signed) and the pickled payload, written atomically; returns the
    checksum."""
    with place.writer(kind, len(magic) + HEADER_BYTES) as out:
        hashing = _Hashing(out, key)
        pickle.dump(payload, hashing, protocol=pickle.HIGHEST_PROTOCOL)
        checksum = hashing.digest.hexdigest()
        fields = {**header, "bytes": hashing.size, "blake2b": checksum, "signed": bool(key)}
        line = json.dumps(fields).encode()
        if len(line) >= HEADER_BYTES:
            raise OSError(f"the header of {place.where(kind)} is too long (workspace name?)")
        out.finish(magic + line.ljust(HEADER_BYTES - 1) + b"\n")
    return checksum


def _read(
    place: IndexPlace,
    kind: IndexFile,
    magic: bytes,
    payload_type: type[_P],
    refusal: Callable[[dict[str, Any]], str],
    key: bytes | None,
    *,
    then: str,
) -> tuple[_P | None, str, str]:
    """The payload of a file :func:`_write` wrote, its checksum and "", or None, "" and why
    it cannot be used: not such a file, another format or code, refused by ``refusal`` (the
    header's own fields), signed where there is no ``key`` or not where there is one,
    truncated, corrupted or signed with another key, not loadable or not a
    ``payload_type``; each reason ends with ``then``, what the caller does instead. Nothing
    is unpickled before the checksum (with a key, the signature) matches."""
    name = place.where(kind)
    try:
        with place.reader(kind) as src:
            line = _header_line(src, magic)
            if line is None:
                return None, "", f"{name} is not a saved index"
            start = src.tell()
            # (the header's own fields first: a file that is refused is not read whole)
            header, why = _header_refusal(name, line, refusal, bool(key), then)
            if why:
                return None, "", why
            digest, size = _digest(key), 0
            for chunk in iter(lambda: src.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
            checksum = digest.hexdigest()
            why = _refusal(name, header, size, checksum, bool(key), then)
            if why:
                return None, "", why
            src.seek(start)
            try:
                payload = pickle.load(src)  # noqa: S301 - checksummed file of our own
            except Exception as exc:  # a checksummed payload that still fails: rebuild
                return None, "", f"{name} cannot be loaded ({type(exc).__name__}); {then}"
    except FileNotFoundError:
        return None, "", f"no saved index at {name}"
    except OSError as exc:
        return None, "", f"cannot read {name} ({exc}); {then}"
    if not isinstance(payload, payload_type):
        return None, "", f"{name} holds something else; {then}"
    return payload, checksum, ""


def _header_line(src: IO[bytes], magic: bytes) -> bytes | None:
    """The JSON header line after ``magic``, or None when the file does not start so."""
    if src.readline(len(magic) + 1) != magic:
        return None
    return src.readline(HEADER_BYTES + 1)


def _header_refusal(
    name: str, line: bytes, refusal: Callable[[dict[str, Any]], str], signed: bool, then: str
) -> tuple[dict[str, Any], str]:
    """The header line's fields and "", or why it rules the file out (unreadable, another
    format or code, signed or not where ``signed`` asks the other, or ``refusal`` of its
    fields)."""
    try:
        header = json.loads(line)
    except ValueError:
        header = None
    if not isinstance(header, dict):
        return {}, f"{name} has an unreadable header; {then}"
    if header.get("format") != FORMAT or header.get("code") != code_fingerprint():
        return header, (
            f"{name} was written by another version (format {header.get('format')}, "
            f"code {header.get('code')}); {then}"
        )
    if header.get("signed") is not True and signed:
        return header, (
            f"{name} is not signed, and this service loads only a saved index signed with its"
            f" [context] index_key; {then}"
        )
    if header.get("signed") is True and not signed:
        return header, (
            f"{name} is signed, and this process was given no [context] index_key to check"
            f" it with; {then}"
        )
    return header, refusal(header)


def _refusal(
    name: str, header: dict[str, Any], size: int, digest: str, signed: bool, then: str
) -> str:
    """Why the payload's size and checksum (or signature), against the header's, rule the
    file out, or ""."""
    if header.get("bytes") != size:
        return f"{name} is truncated ({size:,} of {header.get('bytes')} bytes); {then}"
    if not hmac.compare_digest(str(header.get("blake2b")).encode(), digest.encode()):
        if signed:
            return (
                f"{name} is corrupted, or was not signed with this service's [context]"
                f" index_key (signature mismatch); {then}"
            )
        return f"{name} is corrupted (checksum mismatch); {then}"
    return ""
