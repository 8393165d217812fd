"""The serving side's result cache: one run per key, outcomes kept for a ttl, bounded."""

from __future__ import annotations

import asyncio

import pytest

from hub.clock import ManualClock
from hub.errors import ConfigError
from hub.fabric.results import ResultCache


class Work:
    def __init__(self) -> None:
        self.runs = 0

    async def ok(self) -> str:
        self.runs += 1
        return f"run {self.runs}"

    async def fails(self) -> str:
        self.runs += 1
        raise ValueError(f"failure {self.runs}")


async def test_a_key_runs_once_and_its_outcome_is_kept_for_the_ttl() -> None:
    clock = ManualClock()
    cache = ResultCache(clock, ttl=60.0)
    work = Work()
    assert await cache.once("k", work.ok, wait=1.0) == "run 1"
    assert await cache.once("k", work.ok, wait=1.0) == "run 1"
    assert (work.runs, cache.hits, cache.runs) == (1, 1, 1)
    clock.advance(59.0)
    assert await cache.once("k", work.ok, wait=1.0) == "run 1"
    clock.advance(1.0)
    assert await cache.once("k", work.ok, wait=1.0) == "run 2"


async def test_an_error_is_an_outcome_too() -> None:
    cache = ResultCache(ManualClock())
    work = Work()
    for _ in range(2):
        with pytest.raises(ValueError, match="failure 1"):
            await cache.once("k", work.fails, wait=1.0)
    assert work.runs == 1


async def test_a_duplicate_joins_the_run_in_progress() -> None:
    cache = ResultCache(ManualClock())
    gate = asyncio.Event()
    runs = 0

    async def slow() -> str:
        nonlocal runs
        runs += 1
        await gate.wait()
        return "done"

    first = asyncio.create_task(cache.once("k", slow, wait=5.0))
    await asyncio.sleep(0)
    second = asyncio.create_task(cache.once("k", slow, wait=5.0))
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(first, second) == ["done", "done"]
    assert runs == 1


async def test_a_duplicate_stops_waiting_at_its_own_deadline_and_the_run_goes_on() -> None:
    cache = ResultCache(ManualClock())
    gate = asyncio.Event()

    async def slow() -> str:
        await gate.wait()
        return "done"

    first = asyncio.create_task(cache.once("k", slow, wait=5.0))
    await asyncio.sleep(0)
    with pytest.raises(TimeoutError):
        await cache.once("k", slow, wait=0.0)
    gate.set()
    assert await first == "done"
    assert await cache.once("k", slow, wait=0.0) == "done"


async def test_a_cancelled_run_is_forgotten() -> None:
    cache = ResultCache(ManualClock())
    task = asyncio.create_task(cache.once("k", asyncio.Event().wait, wait=1.0))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(cache) == 0


async def test_the_least_recently_used_finished_entries_go_first() -> None:
    cache = ResultCache(ManualClock(), max_entries=2)
    work = Work()
    await cache.once("a", work.ok, wait=1.0)
    await cache.once("b", work.ok, wait=1.0)
    await cache.once("a", work.ok, wait=1.0)  # a used again: b is the oldest
    await cache.once("c", work.ok, wait=1.0)
    assert len(cache) == 2
    assert await cache.once("a", work.ok, wait=1.0) == "run 1"
    assert await cache.once("b", work.ok, wait=1.0) == "run 4"


def test_bad_settings_say_what_to_fix() -> None:
    with pytest.raises(ConfigError, match="result cache ttl: expected seconds > 0, got 0"):
        ResultCache(ManualClock(), ttl=0)
    with pytest.raises(ConfigError, match="max_entries: expected 1 or more, got 0"):
        ResultCache(ManualClock(), max_entries=0)
