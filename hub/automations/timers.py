"""Durable time: `delay`, the timeouts of `wait_*` and the `for:` of triggers keep their
wall-clock due time in the store (table ``automation_timers``), so a restart in the middle
goes on where it was: a timer due during the downtime runs once, at start.

A timer row is written before the wait starts and deleted (awaited) before the run goes
on past it, so the steps after a wait run at most once, even if the hub is killed then.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from hub.clock import Cancel, Clock
from hub.store import Store


class Timers:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def wall(self) -> float:
        return self._clock.now().timestamp()

    def call_at_wall(self, due: float, fn: Callable[[], None]) -> Cancel:
        """Run `fn` when the wall clock reaches `due` (at once if it has passed)."""
        return self._clock.call_at(self._clock.monotonic() + max(0.0, due - self.wall()), fn)

    async def sleep_until(self, due: float) -> None:
        remaining = due - self.wall()
        if remaining > 0:
            await self._clock.sleep(remaining)

    async def save(self, key: str, automation: str, kind: str, due: float,
                   data: dict[str, Any]) -> None:
        text = json.dumps(data, ensure_ascii=False, default=str)
        await self._store.run(f"save timer {key}", lambda conn: conn.execute(
            "INSERT OR REPLACE INTO automation_timers (key, automation, kind, due, json)"
            " VALUES (?, ?, ?, ?, ?)", (key, automation, kind, due, text)))

    async def delete(self, key: str) -> None:
        await self._store.run(f"delete timer {key}", lambda conn: conn.execute(
            "DELETE FROM automation_timers WHERE key = ?", (key,)))

    async def pending(self, kind: str) -> list[tuple[str, str, float, dict[str, Any]]]:
        """(key, automation, due, data) of every stored timer of `kind`."""
        def read(conn: sqlite3.Connection) -> list[tuple[str, str, float, str]]:
            return list(conn.execute("SELECT key, automation, due, json FROM automation_timers"
                                     " WHERE kind = ? ORDER BY due", (kind,)))

        rows = await self._store.run(f"read {kind} timers", read)
        return [(key, automation, due, json.loads(text)) for key, automation, due, text in rows]
