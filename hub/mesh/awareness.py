"""Lifeguard's local health awareness: a node that misses acks doubts itself first.

A score from 0 (healthy) to ``max_multiplier - 1``. A failed probe with missing nacks, or
having to refute a suspicion of ourselves, raises it; every successful probe lowers it.
Probe intervals and timeouts are multiplied by ``score + 1``, so a node starved of CPU or
bandwidth slows down instead of accusing healthy peers (Lifeguard, section 4.1).
"""

from __future__ import annotations

import logging

_LOGGER = logging.getLogger(__name__)


class Awareness:
    __slots__ = ("_max", "score")

    def __init__(self, max_multiplier: int) -> None:
        self._max = max_multiplier
        self.score = 0

    def apply(self, delta: int) -> None:
        before = self.score
        self.score = min(self._max - 1, max(0, self.score + delta))
        if self.score != before:
            _LOGGER.debug("local health score=%d (was %d)", self.score, before)

    def scale(self, seconds: float) -> float:
        return seconds * (self.score + 1)
