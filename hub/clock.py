"""Time, injected: `SystemClock` in production, `ManualClock` in deterministic tests."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

Cancel = Callable[[], None]


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def now(self) -> datetime:
        """Aware UTC wall time."""
        ...

    async def sleep(self, seconds: float) -> None: ...

    def call_at(self, when: float, fn: Callable[[], None]) -> Cancel:
        """Run `fn` when `monotonic()` reaches `when`; returns an idempotent cancel."""
        ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def call_at(self, when: float, fn: Callable[[], None]) -> Cancel:
        loop = asyncio.get_running_loop()
        handle = loop.call_later(max(0.0, when - time.monotonic()), fn)
        return handle.cancel


class ManualClock:
    """A clock that moves only when told: `advance(s)` runs due callbacks in order."""

    def __init__(self, start: datetime | None = None) -> None:
        self._t = 0.0
        self._epoch = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._cancelled: set[int] = set()

    def monotonic(self) -> float:
        return self._t

    def now(self) -> datetime:
        return self._epoch + timedelta(seconds=self._t)

    def call_at(self, when: float, fn: Callable[[], None]) -> Cancel:
        seq = next(self._seq)
        heapq.heappush(self._queue, (when, seq, fn))
        return lambda: self._cancelled.add(seq)

    async def sleep(self, seconds: float) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not fut.done():
                fut.set_result(None)

        cancel = self.call_at(self._t + seconds, wake)
        try:
            await fut
        finally:
            cancel()

    def advance(self, seconds: float) -> None:
        """Move time forward, running every callback that falls due, in time order."""
        target = self._t + seconds
        while self._queue and self._queue[0][0] <= target:
            when, seq, fn = heapq.heappop(self._queue)
            if seq in self._cancelled:
                self._cancelled.discard(seq)
                continue
            self._t = max(self._t, when)
            fn()
        self._t = target
