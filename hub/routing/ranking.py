"""What `CapabilityIndex.rank` answers: `Match` per capability, in a lazy `Ranking`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, overload

from hub.model import Capability


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


class Ranked(Protocol):
    """What a ranking needs of an index record."""

    @property
    def capability(self) -> Capability: ...

    @property
    def tools(self) -> tuple[tuple[str, int], ...]:
        """(tool name, pool row) pairs."""
        ...


class Ranking(Sequence[Match]):
    """`CapabilityIndex.rank`'s answer: matches best first, each built when first read.

    A router usually stops after a few matches, so the rest are never built. Everything
    a match needs was copied out of the index under its lock, so a later change to the
    index does not change a ranking already made.
    """

    __slots__ = ("_built", "_own", "_pool", "_records", "_scores", "_tool", "_tool_scores")

    def __init__(
        self,
        records: Sequence[Ranked],
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
