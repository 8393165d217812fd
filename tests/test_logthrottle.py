"""Logging input cannot flood: per-key throttles, a budget over all keys with one summary
line, bad input counted per source in a bounded table."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from hub.clock import Cancel, ManualClock
from hub.devices import BadInputLog
from hub.events import BadInput, EventBus
from hub.logthrottle import MAX_KEYS, FloodFilter, LogBudget, LogThrottle


def test_a_budget_passes_its_lines_then_sums_up_the_rest_once_per_interval(
    caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock()
    caplog.set_level(logging.WARNING, logger="test.budget")
    budget = LogBudget(clock, logging.getLogger("test.budget"), lines=3, interval=10)
    passed = [budget.allow(f"source{i}") for i in range(1000)]
    assert passed == [True] * 3 + [False] * 997
    assert caplog.messages == []  # the summary comes when the interval ends
    clock.advance(10)  # the timer the first suppressed line set
    assert caplog.messages == [("suppressed 997 log lines from 997 sources in the last 10 s "
                               "(at most 3 per 10 s)")]
    assert budget.suppressed == 997 and budget.summaries == 1
    assert [budget.allow("again") for _ in range(4)] == [True, True, True, False]
    budget.flush()  # on exit: what the interval suppressed so far
    assert caplog.messages[-1] == ("suppressed 1 log lines from 1 source in the last 0 s "
                                   "(at most 3 per 10 s)")
    clock.advance(60)
    assert len(caplog.messages) == 2, "an interval without suppressed lines says nothing"


class _NoLoopClock(ManualClock):
    """Time moved by hand, and timers that fail as SystemClock's do outside a loop."""

    def call_at(self, when: float, fn: Callable[[], None]) -> Cancel:
        raise RuntimeError("no running event loop")


def test_a_budget_without_a_running_loop_sums_up_at_the_next_call(
    caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="test.budget")
    clock = _NoLoopClock()
    budget = LogBudget(clock, logging.getLogger("test.budget"), lines=1, interval=10)
    assert budget.allow("a")
    assert not budget.allow("b")  # no timer, and no error either
    clock.advance(60)
    assert caplog.messages == []
    assert budget.allow("c")
    assert caplog.messages == [("suppressed 1 log lines from 1 source in the last 60 s "
                               "(at most 1 per 10 s)")]


def test_a_throttle_holds_one_line_per_key_and_its_budget_over_all_keys() -> None:
    clock = ManualClock()
    throttle = LogThrottle(clock, 10.0, budget=LogBudget(clock, lines=5, interval=10))
    assert throttle.allow("a") and not throttle.allow("a")
    # 20,000 distinct keys: the budget lets 4 more through, not one per key
    assert sum(throttle.allow(f"topic/{i}") for i in range(20_000)) == 4
    assert len(throttle) <= MAX_KEYS
    clock.advance(10)
    assert throttle.allow("a")


def test_a_throttle_remembers_a_bounded_number_of_keys() -> None:
    clock = ManualClock()
    throttle = LogThrottle(clock, 10.0, budget=LogBudget(clock, lines=10**9, interval=10))
    for i in range(MAX_KEYS * 3):
        assert throttle.allow(f"topic/{i}")
    assert len(throttle) == MAX_KEYS
    # the most recent keys are still throttled; the oldest were forgotten
    assert not throttle.allow(f"topic/{MAX_KEYS * 3 - 1}")
    assert throttle.allow("topic/0")


def test_a_flood_filter_bounds_a_logger_it_does_not_own(
    caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock()
    caplog.set_level(logging.WARNING)
    noisy = logging.getLogger("test.noisy")
    flood = FloodFilter(LogBudget(clock, logging.getLogger("test.summary"), lines=2,
                                  interval=10, what="asyncio errors"))
    noisy.addFilter(flood)
    try:
        for _ in range(2048):
            noisy.error("socket.accept() out of system resource")
    finally:
        noisy.removeFilter(flood)
    clock.advance(10)
    assert caplog.messages == [
        "socket.accept() out of system resource", "socket.accept() out of system resource",
        "suppressed 2046 asyncio errors from 1 source in the last 10 s (at most 2 per 10 s)",
    ]


def test_bad_input_is_counted_per_source_in_a_bounded_table(
    caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="hub.devices.badinput")
    bus, clock = EventBus(), ManualClock()
    events: list[BadInput] = []
    bus.listen(BadInput, events.append)
    bad = BadInputLog(bus, clock, max_sources=100)
    for i in range(20_000):
        bad.report(f"zigbee2mqtt/device{i}", f"zigbee2mqtt/device{i}: payload is not JSON")
    assert bad.total == 20_000 and len(events) == 20_000
    assert len(bad.counts) == 100 and bad.forgotten == 19_900
    assert bad.counts["zigbee2mqtt/device19999"] == 1 and bad.counts["zigbee2mqtt/device0"] == 0
    # one line per source at first, but 20 in all, whatever the number of sources
    assert len(caplog.records) == 20
    clock.advance(10)
    assert len(caplog.records) == 21
    assert caplog.messages[-1] == ("suppressed 19980 bad input lines from at least 1000 "
                                   "sources in the last 10 s (at most 20 per 10 s)")


def test_bad_input_of_many_items_at_once_is_one_event_and_one_line(
    caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="hub.devices.badinput")
    bus, clock = EventBus(), ManualClock()
    events: list[BadInput] = []
    bus.listen(BadInput, events.append)
    bad = BadInputLog(bus, clock, every=1000)
    bad.report("z/bridge/devices", "z/bridge/devices: 2500 entries are not objects", count=2500)
    bad.report("z/bridge/devices", "again", count=10)
    bad.report("z/bridge/devices", "and again", count=600)  # past the 3000th: logged
    assert bad.counts["z/bridge/devices"] == 3110 and bad.total == 3110 and len(events) == 3
    assert caplog.messages == [
        ("bad input source=z/bridge/devices count=2500: z/bridge/devices: 2500 entries are "
        "not objects"),
        "bad input source=z/bridge/devices count=3110: and again",
    ]
