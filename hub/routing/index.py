"""The capability index: every capability, tool and trigger as a vector, for fast top-k.

What is embedded for each is `hub.routing.texts`. Capability rows live in one contiguous
float32 matrix (removal moves the last row into the hole), so a query is one
matrix-vector product and an ``argpartition``. Tool and trigger texts live in a
reference-counted pool of unique rows, and capabilities with the same tools share a
*signature* (`hub.routing.pool`). `rank` answers with a lazy `Ranking`
(`hub.routing.ranking`).

Changes are queued (`add`, `update`, `remove`, and the event bus via `attach`) and
applied by `flush`, which every read calls first. Queuing is cheap, so the bus listener
never runs the model on the event loop: new texts are embedded in one batch by the next
reader, which runs in a worker thread (``asyncio.to_thread``). A text that did not change
is never embedded again, so load and availability updates cost no inference.

Thread-safe: readers and the flush hold one lock; the queue has its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from hub.clock import Cancel
from hub.events import (
    AvailabilityChanged,
    CapabilityAdded,
    CapabilityRemoved,
    CapabilityUpdated,
    EventBus,
)
from hub.model import Capability
from hub.routing.embedder import Array, Embedder, Vector, require_same_model
from hub.routing.pool import RowPool, Signatures, grown
from hub.routing.ranking import Ranking
from hub.routing.texts import KINDS, Kind, capability_text, tool_text, trigger_text

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result: a capability, or one of its tools or triggers (`name`)."""

    kind: Kind
    capability_id: str
    name: str
    score: float


@dataclass(frozen=True, slots=True)
class IndexStats:
    capabilities: int
    pool_rows: int
    """Unique tool and trigger texts."""
    signatures: int
    """Distinct tool sets."""
    embedded: int
    """Texts embedded since the index was made (a text that did not change is not)."""


@dataclass(frozen=True, slots=True)
class _Record:
    capability: Capability
    text: str
    tools: tuple[tuple[str, int], ...]  # (tool name, pool row)
    triggers: tuple[tuple[str, int], ...]
    signature: int


_GONE = None


class CapabilityIndex:
    def __init__(self, embedder: Embedder, *, initial_capacity: int = 64) -> None:
        self._embedder = embedder
        self._lock = threading.RLock()
        self._pending_lock = threading.Lock()
        self._pending: dict[str, Capability | None] = {}
        self._dim: int | None = None
        self._capacity = max(1, initial_capacity)
        # Capability rows, contiguous: row i belongs to self._ids[i].
        self._matrix: Array = np.empty((0, 0), dtype=np.float32)
        self._signature_of_row = np.empty(0, dtype=np.int32)
        self._ids: list[str] = []
        self._row: dict[str, int] = {}
        self._records: dict[str, _Record] = {}
        self._pool = RowPool()
        self._signatures = Signatures()
        self._embedded = 0

    @property
    def model_id(self) -> str:
        return self._embedder.model_id

    @property
    def embedder(self) -> Embedder:
        return self._embedder

    # -- changes ----------------------------------------------------------------------

    def add(self, capability: Capability) -> None:
        """Add or replace `capability` (applied at the next read or `flush`)."""
        with self._pending_lock:
            self._pending[capability.id] = capability

    update = add

    def remove(self, capability_id: str) -> None:
        with self._pending_lock:
            self._pending[capability_id] = _GONE

    def set_available(self, capability_id: str, available: bool) -> None:
        with self._lock:
            record = self._records.get(capability_id)
            if record is not None:
                self._records[capability_id] = replace(
                    record, capability=replace(record.capability, available=available)
                )
        with self._pending_lock:
            queued = self._pending.get(capability_id)
            if queued is not None:
                self._pending[capability_id] = replace(queued, available=available)

    def attach(self, bus: EventBus) -> Cancel:
        """Follow the registry's events on `bus`; returns a cancel that stops following."""
        cancels = [
            bus.listen(CapabilityAdded, lambda e: self.add(e.capability)),
            bus.listen(CapabilityUpdated, lambda e: self.add(e.capability)),
            bus.listen(CapabilityRemoved, lambda e: self.remove(e.capability_id)),
            bus.listen(
                AvailabilityChanged, lambda e: self.set_available(e.capability_id, e.available)
            ),
        ]

        def cancel() -> None:
            for one in cancels:
                one()

        return cancel

    def flush(self) -> None:
        """Apply queued changes, embedding new texts in one batch."""
        with self._lock:
            with self._pending_lock:
                pending, self._pending = self._pending, {}
            if not pending:
                return
            # Removals first, so that the plans below see the pool as it will be.
            for capability_id, capability in pending.items():
                if capability is None:
                    self._drop(capability_id)
            plans: list[tuple[Capability, str, list[tuple[Kind, str, str]]]] = []
            new_texts: dict[str, None] = {}
            for capability in pending.values():
                if capability is None:
                    continue
                text = capability_text(capability)
                old = self._records.get(capability.id)
                if old is None or old.text != text:
                    new_texts[text] = None
                items: list[tuple[Kind, str, str]] = [
                    ("tool", t.name, tool_text(capability.type, t)) for t in capability.tools
                ]
                items += [
                    ("trigger", t.name, trigger_text(capability, t)) for t in capability.triggers
                ]
                for _, _, item_text in items:
                    if item_text not in self._pool.rows:
                        new_texts[item_text] = None
                plans.append((capability, text, items))
            vectors = self._embed(list(new_texts))
            # Every new record takes its rows before any replaced one lets go of its own,
            # so no text a plan counted on leaves the pool halfway.
            replaced = [
                self._put(capability, text, items, vectors) for capability, text, items in plans
            ]
            for record in replaced:
                if record is not None:
                    self._release(record)
            _LOGGER.debug(
                "index flushed changes=%d embedded=%d capabilities=%d pool=%d",
                len(pending),
                len(new_texts),
                len(self._ids),
                len(self._pool.rows),
            )

    def _embed(self, texts: list[str]) -> dict[str, Array]:
        if not texts:
            return {}
        vectors = self._embedder.embed(texts)
        self._embedded += len(texts)
        self._ensure_shapes(vectors.dim)
        return {text: vectors.matrix[i] for i, text in enumerate(texts)}

    def _ensure_shapes(self, dim: int) -> None:
        if self._dim is None:
            self._dim = dim
            self._matrix = np.zeros((self._capacity, dim), dtype=np.float32)
            self._signature_of_row = np.zeros(self._capacity, dtype=np.int32)
            self._pool.allocate(dim)

    def _put(
        self,
        capability: Capability,
        text: str,
        items: list[tuple[Kind, str, str]],
        vectors: dict[str, Array],
    ) -> _Record | None:
        """Store the new record; return the one it replaces, for the caller to release."""
        old = self._records.get(capability.id)
        rows = [
            (kind, name, self._pool.acquire(item_text, vectors)) for kind, name, item_text in items
        ]
        for kind, name, row in rows:
            self._pool.users.setdefault(row, set()).add((kind, capability.id, name))
        tools = tuple((name, row) for kind, name, row in rows if kind == "tool")
        triggers = tuple((name, row) for kind, name, row in rows if kind == "trigger")
        signature = self._signatures.acquire(tuple(sorted({row for _, row in tools})))
        if old is not None:
            row_index = self._row[capability.id]
        else:
            row_index = self._append_row(capability.id)
        if old is None or old.text != text:
            self._matrix[row_index] = vectors[text]
        self._signature_of_row[row_index] = signature
        self._records[capability.id] = _Record(capability, text, tools, triggers, signature)
        return old

    def _append_row(self, capability_id: str) -> int:
        row = len(self._ids)
        if row == self._matrix.shape[0]:
            self._matrix = grown(self._matrix)
            self._signature_of_row = np.resize(self._signature_of_row, self._matrix.shape[0])
        self._ids.append(capability_id)
        self._row[capability_id] = row
        return row

    def _drop(self, capability_id: str) -> None:
        record = self._records.pop(capability_id, None)
        if record is None:
            return
        self._release(record)
        row = self._row.pop(capability_id)
        last = len(self._ids) - 1
        if row != last:  # keep the matrix contiguous: the last row fills the hole
            moved = self._ids[last]
            self._matrix[row] = self._matrix[last]
            self._signature_of_row[row] = self._signature_of_row[last]
            self._ids[row] = moved
            self._row[moved] = row
        self._ids.pop()

    def _release(self, record: _Record) -> None:
        groups: tuple[tuple[Kind, tuple[tuple[str, int], ...]], ...] = (
            ("tool", record.tools),
            ("trigger", record.triggers),
        )
        # The record that replaced this one may use the same rows under the same names.
        current = self._records.get(record.capability.id)
        kept = set(current.tools + current.triggers) if current is not record and current else set()
        for kind, items in groups:
            for name, row in items:
                users = self._pool.users.get(row)
                if users is not None and (name, row) not in kept:
                    users.discard((kind, record.capability.id, name))
                self._pool.release(row)
        self._signatures.release(record.signature)

    # -- reads ------------------------------------------------------------------------

    def __len__(self) -> int:
        self.flush()
        return len(self._ids)

    def __contains__(self, capability_id: object) -> bool:
        self.flush()
        return capability_id in self._records

    def stats(self) -> IndexStats:
        self.flush()
        with self._lock:
            return IndexStats(
                len(self._ids),
                len(self._pool.rows),
                len(self._signatures),
                self._embedded,
            )

    def get(self, capability_id: str) -> Capability | None:
        self.flush()
        record = self._records.get(capability_id)
        return record.capability if record else None

    def capabilities(self) -> tuple[Capability, ...]:
        self.flush()
        with self._lock:
            return tuple(self._records[i].capability for i in self._ids)

    def search(self, vector: Vector, k: int = 10, kinds: Iterable[Kind] = KINDS) -> tuple[Hit, ...]:
        """The `k` capabilities, tools and triggers most similar to `vector`.

        Tools and triggers shared by many capabilities (every light's ``turn_on``) come
        back once per capability, best text first.
        """
        require_same_model(self.model_id, vector.model_id)
        wanted = set(kinds)
        self.flush()
        with self._lock:
            hits: list[Hit] = []
            n = len(self._ids)
            if "capability" in wanted and n:
                scores = _matvec(self._matrix[:n], vector.values)
                for row in _top(scores, k):
                    hits.append(Hit("capability", self._ids[row], "", float(scores[row])))
            pooled = {kind for kind in ("tool", "trigger") if kind in wanted}
            pool = self._pool
            if pooled and pool.texts:
                scores = _matvec(pool.matrix[: len(pool.texts)], vector.values)
                live = np.array([t is not None for t in pool.texts])
                scores = np.where(live, scores, -np.inf)
                taken = 0
                for row in np.argsort(-scores):
                    if not np.isfinite(scores[row]) or taken >= k:
                        break
                    for kind, capability_id, name in sorted(pool.users.get(int(row), ())):
                        if kind in pooled and taken < k:
                            hits.append(Hit(kind, capability_id, name, float(scores[row])))
                            taken += 1
            hits.sort(key=lambda h: -h.score)
            return tuple(hits[:k])

    def rank(self, vector: Vector, k: int, *, tool: str | None = None) -> Ranking:
        """The `k` capabilities most relevant to `vector`, best first, with their best tool.

        With `tool`, only capabilities that have a tool of that name are ranked, and that
        tool is the one scored.
        """
        require_same_model(self.model_id, vector.model_id)
        self.flush()
        with self._lock:
            n = len(self._ids)
            if not n:
                return Ranking([], [], [], [], [], tool)
            capability_scores = _matvec(self._matrix[:n], vector.values)
            pool = self._pool
            pool_scores = _matvec(pool.matrix[: len(pool.texts)], vector.values)
            if tool is None:
                best = self._signatures.best(pool_scores)
                tool_scores = best[self._signature_of_row[:n]]
                rows_to_rank = None
            else:
                rows_to_rank = np.array(
                    [self._row[r.capability.id] for r in self._records.values() if _has(r, tool)],
                    dtype=np.intp,
                )
                if not rows_to_rank.size:
                    return Ranking([], [], [], [], [], tool)
                tool_scores = np.array(
                    [pool_scores[_row_of(self._records[self._ids[r]], tool)] for r in rows_to_rank],
                    dtype=np.float32,
                )
                capability_scores = capability_scores[rows_to_rank]
            combined = np.where(
                np.isfinite(tool_scores),
                np.maximum(capability_scores, (capability_scores + tool_scores) / 2),
                capability_scores,
            )
            order = np.array(_top(combined, k), dtype=np.intp)
            rows = order if rows_to_rank is None else rows_to_rank[order]
            ids = self._ids
            return Ranking(
                [self._records[ids[row]] for row in rows.tolist()],
                combined[order].tolist(),
                capability_scores[order].tolist(),
                tool_scores[order].tolist(),
                pool_scores.tolist(),
                tool,
            )

    def tool_scores(self, vector: Vector, capability_id: str) -> dict[str, float]:
        """Similarity of `vector` to each tool of one capability (empty if unknown)."""
        require_same_model(self.model_id, vector.model_id)
        self.flush()
        with self._lock:
            record = self._records.get(capability_id)
            if record is None:
                return {}
            matrix = self._pool.matrix
            return {name: float(matrix[row] @ vector.values) for name, row in record.tools}


# Row blocks this small keep OpenBLAS on the calling thread. Past about 1,500 rows it
# splits a matrix-vector product over every core and its idle threads spin: on a 2-core
# hub that competes with onnxruntime and the event loop, measured 0.3 ms became 4-8 ms at
# 10,000 rows. Blocks of 1,024 rows measured 0.34 ms there with one core busy.
_BLOCK = 1024


def _matvec(matrix: Array, vector: Array) -> Array:
    if matrix.shape[0] <= _BLOCK:
        small: Array = matrix @ vector
        return small
    out = np.empty(matrix.shape[0], dtype=np.float32)
    for start in range(0, matrix.shape[0], _BLOCK):
        np.dot(matrix[start : start + _BLOCK], vector, out=out[start : start + _BLOCK])
    return out


def _top(scores: np.ndarray, k: int) -> list[int]:
    """Indices of the `k` highest scores, best first (argpartition, then a small sort)."""
    n = scores.shape[0]
    if k <= 0 or n == 0:
        return []
    if k < n:
        part = np.argpartition(-scores, k - 1)[:k]
    else:
        part = np.arange(n)
    return [int(i) for i in part[np.argsort(-scores[part], kind="stable")]]


def _has(record: _Record, tool: str) -> bool:
    return any(name == tool for name, _ in record.tools)


def _row_of(record: _Record, tool: str) -> int:
    return next(row for name, row in record.tools if name == tool)
