"""Traces: what each run did, step by step, in Home Assistant's shape (``trigger``,
``condition/0``, ``action/1/then/0`` ...). The last N runs of each automation are kept in
memory and written behind to SQLite in batches (table ``automation_traces``), trimmed to
the same N; on start the stored ones are read back, so the API shows them after a restart.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from hub.clock import Clock
from hub.store import Store

_LOGGER = logging.getLogger(__name__)
FLUSH_INTERVAL = 1.0


def jsonable(value: Any) -> Any:
    """Plain JSON data from a value a step produced (datetimes as ISO text, the rest as
    text when JSON cannot carry it)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


@dataclass(slots=True)
class TraceStep:
    path: str
    started: float
    duration_ms: float = 0.0
    result: Any = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "timestamp": _iso(self.started),
                "duration_ms": round(self.duration_ms, 3), "result": jsonable(self.result),
                "error": self.error}


@dataclass(slots=True)
class Trace:
    automation: str
    run_id: str
    started: float
    trigger: Any
    finished: float | None = None
    state: str = "running"
    script_execution: str | None = None
    """finished, failed_conditions, failed_single, cancelled, aborted, error, stopped..."""
    error: str | None = None
    steps: list[TraceStep] = field(default_factory=list)
    resumed: bool = False
    """The run went on after a restart of the hub (a durable delay, wait or timer)."""

    def summary(self) -> dict[str, Any]:
        return {"automation": self.automation, "run_id": self.run_id,
                "timestamp": {"start": _iso(self.started),
                              "finish": _iso(self.finished) if self.finished else None},
                "state": self.state, "script_execution": self.script_execution,
                "error": self.error, "trigger": _describe(self.trigger),
                "resumed": self.resumed, "steps": len(self.steps)}

    def as_dict(self) -> dict[str, Any]:
        data = self.summary()
        data["trigger"] = jsonable(self.trigger)
        data["trace"] = [step.as_dict() for step in self.steps]
        return data


def _describe(trigger: Any) -> str:
    if isinstance(trigger, dict):
        return str(trigger.get("description") or trigger.get("platform") or "")
    return ""


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


class TraceBook:
    """``async with TraceBook(store, clock)``: traces in memory, written behind."""

    def __init__(self, store: Store, clock: Clock, *, interval: float = FLUSH_INTERVAL) -> None:
        self._store = store
        self._clock = clock
        self._interval = interval
        self._kept: dict[str, deque[dict[str, Any]]] = {}
        self._keep: dict[str, int] = {}
        self._pending: list[tuple[str, str, float, str]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.written = 0

    async def __aenter__(self) -> Self:
        rows = await self._store.run("read automation traces", _read_all)
        for automation, text in rows:
            self._deque(automation).append(json.loads(text))
        self._task = asyncio.get_running_loop().create_task(self._loop(),
                                                            name="automations.traces")
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        await self.flush()

    def keep(self, automation: str, count: int) -> None:
        self._keep[automation] = count
        kept = self._kept.get(automation)
        if kept is not None and kept.maxlen != count:
            self._kept[automation] = deque(kept, maxlen=count)

    def _deque(self, automation: str) -> deque[dict[str, Any]]:
        kept = self._kept.get(automation)
        if kept is None:
            kept = self._kept[automation] = deque(maxlen=self._keep.get(automation, 50))
        return kept

    def add(self, trace: Trace) -> None:
        """A finished run: kept, and queued for the store."""
        data = trace.as_dict()
        self._deque(trace.automation).append(data)
        self._pending.append((trace.automation, trace.run_id, trace.started,
                              json.dumps(data, ensure_ascii=False)))
        self._wake.set()

    def list(self, automation: str) -> list[dict[str, Any]]:
        """Summaries, newest first."""
        return [_summary(t) for t in reversed(self._kept.get(automation, ()))]

    def get(self, automation: str, run_id: str) -> dict[str, Any] | None:
        for trace in self._kept.get(automation, ()):
            if trace["run_id"] == run_id:
                return trace
        return None

    def count(self, automation: str) -> int:
        return len(self._kept.get(automation, ()))

    async def flush(self) -> None:
        pending, self._pending = self._pending, []
        if not pending:
            return
        keep = {automation: self._keep.get(automation, 50) for automation, *_ in pending}
        try:
            await self._store.run(f"save {len(pending)} traces",
                                  lambda conn: _write(conn, pending, keep))
            self.written += len(pending)
        except Exception:
            _LOGGER.exception("traces not saved count=%d", len(pending))

    async def _loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self.flush()
            await self._clock.sleep(self._interval)


def _summary(trace: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in trace.items() if k != "trace"} | {
        "trigger": _describe(trace.get("trigger")), "steps": len(trace.get("trace", ()))}


def _read_all(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    rows: Iterable[tuple[str, str]] = conn.execute(
        "SELECT automation, json FROM automation_traces ORDER BY automation, started")
    return list(rows)


def _write(conn: sqlite3.Connection, rows: list[tuple[str, str, float, str]],
           keep: dict[str, int]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany("INSERT OR REPLACE INTO automation_traces (automation, run_id, started,"
                         " json) VALUES (?, ?, ?, ?)", rows)
        for automation, count in keep.items():
            conn.execute(
                "DELETE FROM automation_traces WHERE automation = ?1 AND run_id NOT IN"
                " (SELECT run_id FROM automation_traces WHERE automation = ?1"
                " ORDER BY started DESC LIMIT ?2)", (automation, count))
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
