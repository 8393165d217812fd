"""Bad input at run time: counted per source and logged without flooding the log."""

from __future__ import annotations

import logging
from collections import OrderedDict

from hub.clock import Clock
from hub.events import BadInput, EventBus
from hub.logthrottle import LogBudget

_LOGGER = logging.getLogger(__name__)

MAX_SOURCES = 1000
"""Sources counted by name; past that, the source reported least recently is forgotten
(its reports stay in `total`, and `forgotten` counts the sources dropped)."""
LOG_LINES = 20
LOG_INTERVAL = 10.0
"""At most `LOG_LINES` bad-input lines per `LOG_INTERVAL` seconds from all sources
together; one line then says how many were suppressed and from how many sources."""


class _Counts(OrderedDict[str, int]):
    """Reports per source, least recently reported first; an unknown source counts 0."""

    def __missing__(self, key: str) -> int:
        return 0


class BadInputLog:
    """Counts malformed messages by source; logs the first one of each source, then one in
    every `every`, and never more than the budget's lines in all, so that neither a device
    spamming garbage nor garbage from many sources can flood the log."""

    def __init__(self, bus: EventBus, clock: Clock, *, every: int = 1000,
                 max_sources: int = MAX_SOURCES, budget: LogBudget | None = None) -> None:
        self._bus = bus
        self._clock = clock
        self._every = every
        self._max_sources = max_sources
        self.budget = budget or LogBudget(clock, _LOGGER, lines=LOG_LINES,
                                          interval=LOG_INTERVAL, what="bad input lines")
        self.counts: _Counts = _Counts()
        self.total = 0
        self.forgotten = 0
        """Sources dropped from `counts` to keep it within `max_sources`."""

    def report(self, source: str, reason: str, *, count: int = 1) -> None:
        """`count` malformed items from `source` (several skipped at once, such as the
        entries of one list, are one report: one event and at most one line)."""
        counts = self.counts
        n = counts[source] + count
        counts[source] = n
        counts.move_to_end(source)
        if len(counts) > self._max_sources:
            counts.popitem(last=False)
            self.forgotten += 1
        self.total += count
        first = n == count
        if (first or n // self._every > (n - count) // self._every) and self.budget.allow(source):
            _LOGGER.warning("bad input source=%s count=%d: %s", source, n, reason)
        self._bus.publish(BadInput(source, reason, time=self._clock.now().timestamp()))


__all__ = ["LOG_INTERVAL", "LOG_LINES", "MAX_SOURCES", "BadInputLog"]
