"""The serving side of idempotent calls: one run per idempotency key, its outcome cached.

A request whose body carries a ``key`` runs its tool at most once per (caller,
capability, tool, key) while the entry lives: a duplicate that arrives while the first
run is still going waits for that run (within its own deadline) instead of starting
another, and one that arrives after it gets the cached outcome, result or error alike.
An entry lives `ttl` seconds after its run ended (`Clock.monotonic()`); at most
`max_entries` finished entries are kept, the least recently used going first (a run in
progress is never evicted). The cache is in memory: a restarted hub has forgotten it.

Used from the event loop only; not thread-safe.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from hub.clock import Clock
from hub.errors import ConfigError

_LOGGER = logging.getLogger(__name__)

MAX_KEY_LENGTH = 128
"""The longest idempotency key a request may carry (characters)."""


@dataclass(slots=True)
class _Entry:
    future: asyncio.Future[Any]
    expires: float | None = None
    """`Clock.monotonic()` when the finished entry goes; None while the run is going."""


class ResultCache:
    """``await cache.once(key, work, wait=seconds)``: `work()` at most once per key."""

    def __init__(self, clock: Clock, *, ttl: float = 300.0, max_entries: int = 10_000) -> None:
        if ttl <= 0:
            raise ConfigError(f"result cache ttl: expected seconds > 0, got {ttl}")
        if max_entries < 1:
            raise ConfigError(f"result cache max_entries: expected 1 or more, got {max_entries}")
        self._clock = clock
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._finished: deque[tuple[float, Hashable]] = deque()
        """(expiry, key) in the order runs ended: with one ttl, that is expiry order."""
        self.hits = 0
        """Duplicates answered from a finished run or by joining one in progress."""
        self.runs = 0

    def __len__(self) -> int:
        return len(self._entries)

    async def once(self, key: Hashable, work: Callable[[], Awaitable[Any]], *, wait: float) -> Any:
        """The outcome of `work()` for `key`: run now, joined, or cached. A duplicate
        waits at most `wait` seconds for a run in progress (TimeoutError after that; the
        run goes on and its outcome is still cached)."""
        self._expire()
        entry = self._entries.get(key)
        if entry is not None:
            self.hits += 1
            self._entries.move_to_end(key)
            if entry.future.done():
                return entry.future.result()
            async with asyncio.timeout(max(0.0, wait)):
                return await asyncio.shield(entry.future)
        entry = _Entry(asyncio.get_running_loop().create_future())
        self._entries[key] = entry
        self.runs += 1
        try:
            value = await work()
        except asyncio.CancelledError:
            # Not an outcome (the server is stopping): forget the key, wake the joiners.
            self._entries.pop(key, None)
            entry.future.cancel()
            raise
        except Exception as exc:
            self._finish(key, entry)
            entry.future.set_exception(exc)
            entry.future.exception()  # retrieved: no "never retrieved" noise when unjoined
            raise
        self._finish(key, entry)
        entry.future.set_result(value)
        return value

    def _finish(self, key: Hashable, entry: _Entry) -> None:
        entry.expires = self._clock.monotonic() + self.ttl
        self._finished.append((entry.expires, key))
        self._evict()

    def _expire(self) -> None:
        now = self._clock.monotonic()
        while self._finished and self._finished[0][0] <= now:
            expires, key = self._finished.popleft()
            entry = self._entries.get(key)
            if entry is not None and entry.expires == expires:
                del self._entries[key]

    def _evict(self) -> None:
        excess = len(self._entries) - self.max_entries
        if excess <= 0:
            return
        finished: list[Hashable] = []  # least recently used first; runs in progress stay
        for key, entry in self._entries.items():
            if entry.expires is not None:
                finished.append(key)
                if len(finished) == excess:
                    break
        for key in finished:
            del self._entries[key]
        _LOGGER.debug(
            "result cache full entries=%d evicted=%d", len(self), len(finished)
        )
