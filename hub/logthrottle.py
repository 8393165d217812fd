"""Logging that input cannot flood.

- `LogBudget`: at most `lines` log lines per `interval` in total, whatever their keys;
  what is over is counted, and one line sums it up when the interval is over
  (``suppressed 19980 log lines from 19980 sources in the last 10 s``).
- `LogThrottle`: at most one line per key and interval, within a `LogBudget`. Keys often
  come from the network (topics, names): the table of keys is bounded, and the budget
  holds however many distinct keys arrive.
- `FloodFilter`: a `logging.Filter` with a `LogBudget`, for loggers the hub does not
  write itself (asyncio's "socket.accept() out of system resource" repeats once per
  pending connection and event loop tick when the process runs out of file descriptors).
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from hub.clock import Cancel, Clock

_LOGGER = logging.getLogger(__name__)

MAX_KEYS = 1000
"""Keys a `LogThrottle` remembers; the least recently logged one is forgotten first."""
MAX_COUNTED_SOURCES = 1000
"""Distinct keys counted in one interval's summary (by their hashes); beyond, the summary
says "at least"."""


class LogBudget:
    """At most `lines` lines per `interval` seconds in total. Over budget, `allow` counts
    the line and its key and returns False; when the interval ends, one line on `logger`
    says how many were suppressed and from how many sources. The summary is written by a
    timer on the clock when there is a running loop, else by the next call."""

    __slots__ = (
        "_clock",
        "_interval",
        "_keys",
        "_lines",
        "_logger",
        "_start",
        "_timer",
        "_used",
        "_what",
        "_window_suppressed",
        "summaries",
        "suppressed",
    )

    def __init__(self, clock: Clock, logger: logging.Logger | None = None, *, lines: int = 20,
                 interval: float = 10.0, what: str = "log lines") -> None:
        if lines < 1 or not interval > 0:
            raise ValueError(f"a log budget needs lines >= 1 and interval > 0, got {lines} "
                             f"lines per {interval} s")
        self._clock = clock
        self._logger = logger or _LOGGER
        self._lines = lines
        self._interval = interval
        self._what = what
        self._start = clock.monotonic()
        self._used = 0
        self._window_suppressed = 0
        self._keys: set[int] = set()
        self._timer: Cancel | None = None
        self.suppressed = 0
        """Lines suppressed since the start."""
        self.summaries = 0

    def allow(self, key: str = "") -> bool:
        now = self._clock.monotonic()
        if now - self._start >= self._interval:
            self._roll(now)
        if self._used < self._lines:
            self._used += 1
            return True
        self.suppressed += 1
        self._window_suppressed += 1
        if len(self._keys) < MAX_COUNTED_SOURCES:
            self._keys.add(hash(key))  # not the key: keys may be long topics
        if self._timer is None:
            try:
                self._timer = self._clock.call_at(self._start + self._interval, self._on_timer)
            except RuntimeError:  # no running loop: the next call writes the summary
                pass
        return False

    def flush(self) -> None:
        """Write the summary of the current interval now (on exit)."""
        self._roll(self._clock.monotonic())

    def _on_timer(self) -> None:
        self._timer = None
        self._roll(self._clock.monotonic())

    def _roll(self, now: float) -> None:
        if self._timer is not None:
            self._timer()
            self._timer = None
        if self._window_suppressed:
            sources = len(self._keys)
            shown = (f"at least {sources} sources" if sources >= MAX_COUNTED_SOURCES
                     else "1 source" if sources == 1 else f"{sources} sources")
            self.summaries += 1
            self._logger.warning(
                "suppressed %d %s from %s in the last %.0f s (at most %d per %.0f s)",
                self._window_suppressed, self._what, shown, max(now - self._start, 0.0),
                self._lines, self._interval)
        self._start = now
        self._used = 0
        self._window_suppressed = 0
        self._keys = set()


class LogThrottle:
    """Let one log line per key through every `interval` seconds, and no more than the
    budget's lines in all: bad input at a high rate must not turn into a log flood."""

    __slots__ = ("_clock", "_interval", "_last", "budget")

    def __init__(self, clock: Clock, interval: float = 10.0, *,
                 budget: LogBudget | None = None) -> None:
        self._clock = clock
        self._interval = interval
        self._last: OrderedDict[str, float] = OrderedDict()
        self.budget = budget or LogBudget(clock, interval=interval)

    def __len__(self) -> int:
        return len(self._last)

    def allow(self, key: str) -> bool:
        now = self._clock.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self._interval:
            return False
        if not self.budget.allow(key):
            return False
        self._last[key] = now
        self._last.move_to_end(key)
        if len(self._last) > MAX_KEYS:  # keys may come from the network: bound them
            self._last.popitem(last=False)
        return True


class FloodFilter(logging.Filter):
    """Passes at most the budget's records of the loggers it is added to; the rest are
    counted and summed up once per interval (by the budget, on its own logger)."""

    def __init__(self, budget: LogBudget) -> None:
        super().__init__()
        self.budget = budget

    def filter(self, record: logging.LogRecord) -> bool:
        return self.budget.allow(record.name)


__all__ = ["MAX_COUNTED_SOURCES", "MAX_KEYS", "FloodFilter", "LogBudget", "LogThrottle"]
