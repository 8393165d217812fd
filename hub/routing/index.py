"""The capability index: every capability, tool and trigger as a vector, for fast top-k.

What is embedded (the texts are built by `capability_text`, `tool_text`, `trigger_text`):

- a capability: its type, name, aliases, area and description: who it is;
- a tool: the capability type, the tool name and its description: what it does. The
  text does not name the capability, so every light's ``turn_on`` is one shared row;
- a trigger: its intent template (``{area}`` filled in with the capability's area) and
  its description: what it reports.

Capability rows live in one contiguous float32 matrix (removal moves the last row into
the hole), so a query is one matrix-vector product and an ``argpartition``. Tool and
trigger texts live in a reference-counted pool of unique rows. Capabilities that share
the same set of tool rows share a *signature*; the best tool of every capability is then
one gather from a handful of per-signature maxima, whatever the number of capabilities.

Changes are queued (`add`, `update`, `remove`, and the event bus via `attach`) and
applied by `flush`, which every read calls first. Queuing is cheap, so the bus listener
never runs the model on the event loop: new texts are embedded in one batch by the next
reader, which runs in a worker thread (``asyncio.to_thread``). A text that did not change
is never embedded again, so load and availability updates cost no inference.

Thread-safe: readers and the flush hold one lock; the queue has its own.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal, overload

import numpy as np

from hub.clock import Cancel
from hub.events import (
    AvailabilityChanged,
    CapabilityAdded,
    CapabilityRemoved,
    CapabilityUpdated,
    EventBus,
)
from hub.model import Capability, Tool, Trigger
from hub.routing.embedder import Array, Embedder, Vector, require_same_model

_LOGGER = logging.getLogger(__name__)

Kind = Literal["capability", "tool", "trigger"]
KINDS: tuple[Kind, ...] = ("capability", "tool", "trigger")

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _words(name: str) -> str:
    # "set_cover_position" reads as three words to the tokenizer, not one odd token run.
    return name.replace("_", " ").replace(".", " ")


def capability_text(capability: Capability) -> str:
    parts = [f"{capability.type}: {capability.name or _words(capability.id)}"]
    if capability.aliases:
        parts.append("also called " + ", ".join(capability.aliases))
    if capability.area:
        parts.append(f"in the {capability.area}")
    if capability.description:
        parts.append(capability.description)
    return ". ".join(parts)


def tool_text(capability_type: str, tool: Tool) -> str:
    text = f"{capability_type} {_words(tool.name)}"
    return f"{text}: {tool.description}" if tool.description else text


def trigger_text(capability: Capability, trigger: Trigger) -> str:
    def fill(match: re.Match[str]) -> str:
        value = capability.area if match.group(1) == "area" else ""
        return value or match.group(1)

    head = _PLACEHOLDER.sub(fill, trigger.intent) if trigger.intent else _words(trigger.name)
    return f"{head}: {trigger.description}" if trigger.description else head


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result: a capability, or one of its tools or triggers (`name`)."""

    kind: Kind
    capability_id: str
    name: str
    score: float


@dataclass(frozen=True, slots=True)
class Match:
    """A capability's relevance to an intent.

    `score` is ``max(capability, (capability + tool) / 2)``: the capability's own text
    says which thing is meant, and a well-matching tool can lift it but never sink it.
    """

    capability: Capability
    score: float
    capability_score: float
    tool: str | None
    tool_score: float


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


class Ranking(Sequence[Match]):
    """`CapabilityIndex.rank`'s answer: matches best first, each built when first read.

    A router usually stops after a few matches, so the rest are never built. Everything
    a match needs was copied out of the index under its lock, so a later change to the
    index does not change a ranking already made.
    """

    __slots__ = ("_built", "_own", "_pool", "_records", "_scores", "_tool", "_tool_scores")

    def __init__(
        self,
        records: list[_Record],
        scores: list[float],
        own: list[float],
        tool_scores: list[float],
        pool: list[float],
        tool: str | None,
    ) -> None:
        self._records = records
        self._scores = scores
        self._own = own
        self._tool_scores = tool_scores
        self._pool = pool
        self._tool = tool
        self._built: dict[int, Match] = {}

    def __len__(self) -> int:
        return len(self._records)

    @overload
    def __getitem__(self, i: int) -> Match: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[Match, ...]: ...

    def __getitem__(self, i: int | slice) -> Match | tuple[Match, ...]:
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(len(self))))
        if i < 0:
            i += len(self)
        built = self._built.get(i)
        if built is None:
            record = self._records[i]  # raises IndexError past the end, ending iteration
            if self._tool is not None:
                name: str | None = self._tool
            elif record.tools:
                pool = self._pool
                name = max(record.tools, key=lambda item: pool[item[1]])[0]
            else:
                name = None
            built = Match(
                record.capability,
                self._scores[i],
                self._own[i],
                name,
                self._tool_scores[i] if name else 0.0,
            )
            self._built[i] = built
        return built

    def __repr__(self) -> str:
        return f"Ranking({list(self)!r})"


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
        # The pool of unique tool and trigger texts.
        self._pool: Array = np.empty((0, 0), dtype=np.float32)
        self._pool_row: dict[str, int] = {}
        self._pool_text: list[str | None] = []
        self._pool_refs: list[int] = []
        self._pool_free: list[int] = []
        self._pool_users: dict[int, set[tuple[Kind, str, str]]] = {}
        # Signatures: a tuple of pool rows -> slot; slot 0 is "no tools".
        self._signature: dict[tuple[int, ...], int] = {(): 0}
        self._signature_rows: list[np.ndarray | None] = [np.empty(0, dtype=np.intp)]
        self._signature_refs: list[int] = [0]
        self._signature_free: list[int] = []
        # All signatures' rows end to end, for one `maximum.reduceat` per query.
        self._signature_layout: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
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
                    if item_text not in self._pool_row:
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
                len(self._pool_row),
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
            self._pool = np.zeros((16, dim), dtype=np.float32)

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
            (kind, name, self._pool_acquire(item_text, vectors)) for kind, name, item_text in items
        ]
        for kind, name, row in rows:
            self._pool_users.setdefault(row, set()).add((kind, capability.id, name))
        tools = tuple((name, row) for kind, name, row in rows if kind == "tool")
        triggers = tuple((name, row) for kind, name, row in rows if kind == "trigger")
        signature = self._signature_acquire(tuple(sorted({row for _, row in tools})))
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
            self._matrix = _grown(self._matrix)
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
                users = self._pool_users.get(row)
                if users is not None and (name, row) not in kept:
                    users.discard((kind, record.capability.id, name))
                self._pool_release(row)
        self._signature_release(record.signature)

    def _pool_acquire(self, text: str, vectors: dict[str, Array]) -> int:
        row = self._pool_row.get(text)
        if row is None:
            if self._pool_free:
                row = self._pool_free.pop()
                self._pool_text[row] = text
                self._pool_refs[row] = 0
            else:
                row = len(self._pool_text)
                if row == self._pool.shape[0]:
                    self._pool = _grown(self._pool)
                self._pool_text.append(text)
                self._pool_refs.append(0)
            self._pool[row] = vectors[text]
            self._pool_row[text] = row
        self._pool_refs[row] += 1
        return row

    def _pool_release(self, row: int) -> None:
        self._pool_refs[row] -= 1
        if self._pool_refs[row] == 0:
            text = self._pool_text[row]
            assert text is not None
            del self._pool_row[text]
            self._pool_text[row] = None
            self._pool_users.pop(row, None)
            self._pool_free.append(row)

    def _signature_acquire(self, rows: tuple[int, ...]) -> int:
        slot = self._signature.get(rows)
        if slot is None:
            array = np.array(rows, dtype=np.intp)
            if self._signature_free:
                slot = self._signature_free.pop()
                self._signature_rows[slot] = array
                self._signature_refs[slot] = 0
            else:
                slot = len(self._signature_rows)
                self._signature_rows.append(array)
                self._signature_refs.append(0)
            self._signature[rows] = slot
            self._signature_layout = None
        self._signature_refs[slot] += 1
        return slot

    def _signature_release(self, slot: int) -> None:
        self._signature_refs[slot] -= 1
        if self._signature_refs[slot] == 0 and slot != 0:
            rows = self._signature_rows[slot]
            assert rows is not None
            del self._signature[tuple(int(r) for r in rows)]
            self._signature_rows[slot] = None
            self._signature_free.append(slot)
            self._signature_layout = None

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
                len(self._pool_row),
                len(self._signature) - 1,
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
            if pooled and self._pool_text:
                scores = _matvec(self._pool[: len(self._pool_text)], vector.values)
                live = np.array([t is not None for t in self._pool_text])
                scores = np.where(live, scores, -np.inf)
                taken = 0
                for row in np.argsort(-scores):
                    if not np.isfinite(scores[row]) or taken >= k:
                        break
                    for kind, capability_id, name in sorted(self._pool_users.get(int(row), ())):
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
            pool_scores = _matvec(self._pool[: len(self._pool_text)], vector.values)
            if tool is None:
                best = self._best_per_signature(pool_scores)
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

    def _best_per_signature(self, pool_scores: Array) -> Array:
        """The best tool score of every signature (-inf for "no tools" and free slots)."""
        if self._signature_layout is None:
            slots = [i for i, r in enumerate(self._signature_rows) if r is not None and r.size]
            arrays = [self._signature_rows[i] for i in slots]
            sizes = [0] + [a.size for a in arrays if a is not None]
            self._signature_layout = (
                np.array(slots, dtype=np.intp),
                np.concatenate([a for a in arrays if a is not None] or [np.empty(0, np.intp)]),
                np.cumsum(sizes[:-1], dtype=np.intp),
            )
        slots_array, rows, offsets = self._signature_layout
        best = np.full(len(self._signature_rows), -np.inf, dtype=np.float32)
        if slots_array.size:
            best[slots_array] = np.maximum.reduceat(pool_scores[rows], offsets)
        return best

    def tool_scores(self, vector: Vector, capability_id: str) -> dict[str, float]:
        """Similarity of `vector` to each tool of one capability (empty if unknown)."""
        require_same_model(self.model_id, vector.model_id)
        self.flush()
        with self._lock:
            record = self._records.get(capability_id)
            if record is None:
                return {}
            return {name: float(self._pool[row] @ vector.values) for name, row in record.tools}


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


def _grown(matrix: Array) -> Array:
    grown = np.zeros((max(16, matrix.shape[0] * 2), matrix.shape[1]), dtype=np.float32)
    grown[: matrix.shape[0]] = matrix
    return grown


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
