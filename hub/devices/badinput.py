"""Bad input at run time: counted per source and logged without flooding the log."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable

from hub.events import BadInput, EventBus

_LOGGER = logging.getLogger(__name__)


class BadInputLog:
    """Counts malformed messages by source; logs the first one of each source, then one in
    every `every` so that a device spamming garbage cannot flood the log."""

    def __init__(self, bus: EventBus, now: Callable[[], float], *, every: int = 1000) -> None:
        self._bus = bus
        self._now = now
        self._every = every
        self.counts: Counter[str] = Counter()

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def report(self, source: str, reason: str) -> None:
        self.counts[source] += 1
        n = self.counts[source]
        if n == 1 or n % self._every == 0:
            _LOGGER.warning("bad input source=%s count=%d: %s", source, n, reason)
        self._bus.publish(BadInput(source, reason, time=self._now()))
