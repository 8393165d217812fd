"""`LogThrottle`: at most one log line per key and interval, so that bad input arriving
at a high rate is counted rather than flooding the log."""

from __future__ import annotations

from hub.clock import Clock

_MAX_KEYS = 1000


class LogThrottle:
    """Let one log line per key through every `interval` seconds: bad input at a high rate
    must not turn into a log flood."""

    __slots__ = ("_clock", "_interval", "_last")

    def __init__(self, clock: Clock, interval: float = 10.0) -> None:
        self._clock = clock
        self._interval = interval
        self._last: dict[str, float] = {}

    def allow(self, key: str) -> bool:
        now = self._clock.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self._interval:
            return False
        if len(self._last) > _MAX_KEYS:  # keys may come from the network: bound them
            self._last.clear()
        self._last[key] = now
        return True
