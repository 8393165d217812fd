"""One suspicion timer: Lifeguard's dogpile, shrinking as independent peers confirm.

A suspect starts with `max_timeout`; each *distinct* other node that also suspects it
(confirms) shortens the timer along a log curve towards `min_timeout`, reached at `k`
confirmations. A lone slow accuser therefore waits long; a crowd agrees fast.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from hub.clock import Cancel, Clock
from hub.model import NodeId


def remaining(n: int, k: int, elapsed: float, min_timeout: float, max_timeout: float) -> float:
    """Seconds left after `elapsed` with `n` confirmations out of `k` expected (pure)."""
    frac = math.log(n + 1) / math.log(k + 1) if k > 0 else 1.0
    timeout = max(min_timeout, max_timeout - (max_timeout - min_timeout) * frac)
    return timeout - elapsed


class Suspicion:
    __slots__ = ("_cancel", "_clock", "_confirmations", "_fire", "_k", "_max", "_min", "_start")

    def __init__(
        self,
        accuser: NodeId,
        k: int,
        min_timeout: float,
        max_timeout: float,
        clock: Clock,
        fire: Callable[[], None],
    ) -> None:
        if k < 1:  # nobody can confirm: go straight to the minimum
            max_timeout = min_timeout
        self._clock = clock
        self._k = k
        self._min = min_timeout
        self._max = max_timeout
        self._fire = fire
        self._start = clock.monotonic()
        self._confirmations: set[NodeId] = {accuser}
        self._cancel: Cancel = clock.call_at(self._start + max_timeout, self._timeout)

    @property
    def confirmations(self) -> int:
        return len(self._confirmations) - 1

    def confirm(self, accuser: NodeId) -> bool:
        """Count `accuser`; True when it is a new one (then re-gossip the suspicion)."""
        if self.confirmations >= self._k or accuser in self._confirmations:
            return False
        self._confirmations.add(accuser)
        self._cancel()
        now = self._clock.monotonic()
        left = remaining(self.confirmations, self._k, now - self._start, self._min, self._max)
        self._cancel = self._clock.call_at(now + max(0.0, left), self._timeout)
        return True

    def stop(self) -> None:
        self._cancel()

    def _timeout(self) -> None:
        self._fire()
