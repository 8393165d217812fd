"""The capability index's shared rows: unique tool and trigger texts, and tool sets.

Every light has a ``turn_on`` with the same text, so texts live once in a `RowPool`,
reference-counted by the capabilities that use them. A capability's set of tool rows is
its *signature*; capabilities with the same tools share one (`Signatures`), so the best
tool of every capability is a gather from a handful of per-signature maxima, whatever
the number of capabilities.

Not thread-safe on its own: the index holds its lock around every call.
"""

from __future__ import annotations

import numpy as np

from hub.routing.embedder import Array
from hub.routing.texts import Kind

User = tuple[Kind, str, str]
"""(kind, capability id, tool or trigger name): who uses a pool row, and as what."""


class RowPool:
    """Unique texts, one float32 row each. Rows never move while used (records keep their
    numbers); a row whose last user let go is reused by the next new text."""

    def __init__(self) -> None:
        self.matrix: Array = np.empty((0, 0), dtype=np.float32)
        self.rows: dict[str, int] = {}
        """Text -> row, for the live rows."""
        self.texts: list[str | None] = []
        """Row -> text, for every row handed out so far; None for a free row."""
        self.users: dict[int, set[User]] = {}
        self._refs: list[int] = []
        self._free: list[int] = []

    def allocate(self, dim: int) -> None:
        """Make room for vectors of `dim` (the first embedding fixes it)."""
        self.matrix = np.zeros((16, dim), dtype=np.float32)

    def acquire(self, text: str, vectors: dict[str, Array]) -> int:
        """The row of `text`, stored from `vectors` if it is new; one more reference."""
        row = self.rows.get(text)
        if row is None:
            if self._free:
                row = self._free.pop()
                self.texts[row] = text
                self._refs[row] = 0
            else:
                row = len(self.texts)
                if row == self.matrix.shape[0]:
                    self.matrix = grown(self.matrix)
                self.texts.append(text)
                self._refs.append(0)
            self.matrix[row] = vectors[text]
            self.rows[text] = row
        self._refs[row] += 1
        return row

    def release(self, row: int) -> None:
        """One reference fewer; the last one frees the row."""
        self._refs[row] -= 1
        if self._refs[row] == 0:
            text = self.texts[row]
            assert text is not None
            del self.rows[text]
            self.texts[row] = None
            self.users.pop(row, None)
            self._free.append(row)


class Signatures:
    """Distinct tool sets (tuples of pool rows), reference-counted, each in a slot; slot 0
    is "no tools" and never freed."""

    def __init__(self) -> None:
        self._slot: dict[tuple[int, ...], int] = {(): 0}
        self._rows: list[np.ndarray | None] = [np.empty(0, dtype=np.intp)]
        self._refs: list[int] = [0]
        self._free: list[int] = []
        # All signatures' rows end to end, for one `maximum.reduceat` per query.
        self._layout: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        """Distinct tool sets in use, not counting "no tools"."""
        return len(self._slot) - 1

    def acquire(self, rows: tuple[int, ...]) -> int:
        """The slot of the tool set `rows` (sorted); one more reference."""
        slot = self._slot.get(rows)
        if slot is None:
            array = np.array(rows, dtype=np.intp)
            if self._free:
                slot = self._free.pop()
                self._rows[slot] = array
                self._refs[slot] = 0
            else:
                slot = len(self._rows)
                self._rows.append(array)
                self._refs.append(0)
            self._slot[rows] = slot
            self._layout = None
        self._refs[slot] += 1
        return slot

    def release(self, slot: int) -> None:
        self._refs[slot] -= 1
        if self._refs[slot] == 0 and slot != 0:
            rows = self._rows[slot]
            assert rows is not None
            del self._slot[tuple(int(r) for r in rows)]
            self._rows[slot] = None
            self._free.append(slot)
            self._layout = None

    def best(self, pool_scores: Array) -> Array:
        """The best tool score of every slot (-inf for "no tools" and free slots)."""
        if self._layout is None:
            slots = [i for i, r in enumerate(self._rows) if r is not None and r.size]
            arrays = [self._rows[i] for i in slots]
            sizes = [0] + [a.size for a in arrays if a is not None]
            self._layout = (
                np.array(slots, dtype=np.intp),
                np.concatenate([a for a in arrays if a is not None] or [np.empty(0, np.intp)]),
                np.cumsum(sizes[:-1], dtype=np.intp),
            )
        slots_array, rows, offsets = self._layout
        best = np.full(len(self._rows), -np.inf, dtype=np.float32)
        if slots_array.size:
            best[slots_array] = np.maximum.reduceat(pool_scores[rows], offsets)
        return best


def grown(matrix: Array) -> Array:
    """`matrix` with room for twice its rows (at least 16), the new rows zero."""
    bigger = np.zeros((max(16, matrix.shape[0] * 2), matrix.shape[1]), dtype=np.float32)
    bigger[: matrix.shape[0]] = matrix
    return bigger
