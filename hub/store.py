"""The hub's SQLite database: one file in the data directory, WAL mode.

A sqlite3 connection belongs to the thread that opened it, so `Store` owns one worker
thread (a single-thread executor) that opens, uses and closes the connection; every call
is queued there, which also serialises writers without any lock. WAL with
``synchronous=NORMAL`` keeps readers off the writer's back and costs one fsync per
checkpoint rather than per transaction: a power cut may lose the last transactions, never
the database.

The schema version is ``PRAGMA user_version``; `MIGRATIONS` are applied in order, each in
its own transaction with the version bump, so a crash mid-migration leaves the old schema.

The registry snapshot is two tables: ``capabilities`` holds definitions (everything but
the state and availability, tool schemas included: a few KB each, rarely rewritten) and
``states`` the live part (a few hundred bytes, rewritten on every change). Callers hand
over `Capability` values, which are immutable, and all conversion to JSON happens on the
worker thread: the event loop's share of a save is queueing one job.

The worker thread shares the GIL with the event loop. When the loop is saturated and
yields more often than the interpreter's switch interval (5 ms), CPython keeps handing
the GIL back to the loop and the worker can wait seconds for it (`python -m
bench.registry` shows it). Nothing on the hot path awaits the store, so this only delays
write-behind flushes until the load drops; each operation is kept to as few trips into
SQLite as possible for that reason.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from hub.capfile import capability_from_dict, capability_to_dict
from hub.clock import Clock, SystemClock
from hub.errors import PayloadError, StoreError
from hub.logthrottle import LogThrottle
from hub.model import Capability

_LOGGER = logging.getLogger(__name__)

T = TypeVar("T")

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: the registry snapshot and a small key-value table for everything else
    (
        "CREATE TABLE capabilities (id TEXT PRIMARY KEY, json TEXT NOT NULL, updated REAL NOT NULL)",
        "CREATE TABLE kv (key TEXT PRIMARY KEY, json TEXT NOT NULL)",
    ),
    # 2: state apart from definitions, so that a state change rewrites a small row only
    (
        (
            "CREATE TABLE states (id TEXT PRIMARY KEY, json TEXT NOT NULL,"
            " available INTEGER NOT NULL, updated REAL NOT NULL)"
        ),
        # an unreadable row stays as it is (loading skips it) rather than failing the start
        (
            "INSERT INTO states (id, json, available, updated)"
            " SELECT id, CASE json_type(json, '$.state') WHEN 'object'"
            " THEN json_extract(json, '$.state') ELSE '{}' END,"
            " coalesce(json_extract(json, '$.available'), 1), updated FROM capabilities"
            " WHERE json_valid(json)"
        ),
        (
            "UPDATE capabilities SET json = json_remove(json, '$.state', '$.available')"
            " WHERE json_valid(json)"
        ),
    ),
    # 3: automations: finished runs' traces, and pending durable timers (delay, wait, for:)
    (
        (
            "CREATE TABLE automation_traces (automation TEXT NOT NULL, run_id TEXT NOT NULL,"
            " started REAL NOT NULL, json TEXT NOT NULL, PRIMARY KEY (automation, run_id))"
        ),
        (
            "CREATE TABLE automation_timers (key TEXT PRIMARY KEY, automation TEXT NOT NULL,"
            " kind TEXT NOT NULL, due REAL NOT NULL, json TEXT NOT NULL)"
        ),
    ),
    # 4: the web UI's accounts, sign-in sessions and named API tokens (web/accounts.py);
    # sessions and tokens are kept as SHA-256 digests, never as the secret itself
    (
        "CREATE TABLE web_users (name TEXT PRIMARY KEY, hash TEXT NOT NULL, created REAL NOT NULL)",
        (
            "CREATE TABLE web_sessions (digest TEXT PRIMARY KEY, user TEXT NOT NULL,"
            " csrf TEXT NOT NULL, created REAL NOT NULL, expires REAL NOT NULL)"
        ),
        (
            "CREATE TABLE web_tokens (name TEXT PRIMARY KEY, digest TEXT NOT NULL UNIQUE,"
            " created REAL NOT NULL, last_used REAL)"
        ),
    ),
)
"""Schema migrations: entry ``i`` takes the schema from version ``i`` to ``i + 1``.
Only ever append; never edit an entry that has shipped."""

SCHEMA_VERSION = len(MIGRATIONS)

# Batches are JSON arrays of rows (see `Store._write`); `WHERE true` lets SQLite parse the
# upsert after a SELECT.
_SAVE_DEFINITIONS = (
    "INSERT INTO capabilities (id, json, updated)"
    " SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), ?1"
    " FROM json_each(?2) WHERE true"
    " ON CONFLICT (id) DO UPDATE SET json = excluded.json, updated = excluded.updated"
)
_SAVE_STATES = (
    "INSERT INTO states (id, json, available, updated)"
    " SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'),"
    " json_extract(value, '$[2]'), ?1"
    " FROM json_each(?2) WHERE true"
    " ON CONFLICT (id) DO UPDATE SET json = excluded.json, available = excluded.available,"
    " updated = excluded.updated"
)
_DEFINITIONS = 8
_STATES = 256
"""Rows per chunk of encoding, about a millisecond's work (see `Store._encode`): a light's
definition is 4 KB (its tool schemas), a state about 30 bytes."""
_DELETE_DEFINITIONS = "DELETE FROM capabilities WHERE id IN (SELECT value FROM json_each(?))"
_DELETE_STATES = "DELETE FROM states WHERE id IN (SELECT value FROM json_each(?))"


class Store:
    """``async with Store(path) as store``: the database, open for the block's duration."""

    def __init__(self, path: Path | str, *, clock: Clock | None = None) -> None:
        self.path = Path(path)
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None
        self._throttle = LogThrottle(clock or SystemClock())
        self.unsaved = 0
        """Rows not written because JSON cannot carry them (lost work, logged at ERROR)."""

    async def __aenter__(self) -> Self:
        if self._executor is not None:
            raise StoreError(f"{self.path}: the store is already open")
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")
        try:
            await self._submit(self._open)
        except BaseException:
            self._executor.shutdown(wait=False)
            self._executor = None
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        executor, self._executor = self._executor, None
        if executor is None:
            return
        try:
            await asyncio.get_running_loop().run_in_executor(executor, self._close)
        finally:
            # the close job was the last one queued: nothing is left to wait for
            executor.shutdown(wait=False)

    async def run(self, what: str, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(connection)` on the store's thread; sqlite errors become `StoreError`.

        `what` says what is being done, for the error text (``"save 3 capabilities"``).
        This is how other modules (traces, timers, revocations) reach their tables.
        """
        return await self._submit(lambda: self._call(what, fn))

    async def save_capabilities(self, caps: Iterable[Capability]) -> tuple[str, ...]:
        """Insert or replace `caps`, definition and state, all in one transaction; the ids
        of those not saved (see `save_changes`)."""
        return await self.save_changes(defined=caps)

    async def save_states(self, caps: Iterable[Capability]) -> tuple[str, ...]:
        """Insert or replace the state and availability of `caps`, not their definitions;
        the ids of those not saved (see `save_changes`).

        A state whose capability has no definition row is kept but not loaded.
        """
        return await self.save_changes(states=caps)

    async def delete_capabilities(self, ids: Iterable[str]) -> None:
        await self.save_changes(deleted=ids)

    async def save_changes(
        self,
        *,
        defined: Iterable[Capability] = (),
        states: Iterable[Capability] = (),
        deleted: Iterable[str] = (),
    ) -> tuple[str, ...]:
        """One atomic write of the registry snapshot: definition and state of `defined`,
        the state only of `states`, and both rows of each id in `deleted` removed.

        Only references are taken here; everything is encoded on the store's thread. A row
        JSON cannot carry (a NaN, bytes: a bug or bad input that got past the edge) never
        stops the others: it is left out, its old row stays, and it is lost work, logged
        at ERROR (at most once per 10 s) and counted in `unsaved`. Returns the ids of the
        capabilities left out, in order.
        """
        # taken now, on the caller's side: the iterables may be views of live data
        defs, live, gone = tuple(defined), tuple(states), tuple(deleted)
        if not (defs or live or gone):
            return ()
        parts = [
            f"{len(items)} {noun}"
            for items, noun in ((defs, "definitions"), (live, "states"), (gone, "deletions"))
            if items
        ]
        lost: dict[str, str] = {}
        await self.run(
            f"save {', '.join(parts)}", lambda conn: self._write(conn, defs, live, gone, lost)
        )
        if lost:
            self.unsaved += len(lost)
            if self._throttle.allow("unsaved"):
                culprit, reason = next(iter(lost.items()))
                _LOGGER.error(
                    "capability not saved, its change is lost capability=%s path=%s"
                    " lost_now=%d lost_total=%d: its attributes or state hold a value JSON"
                    " cannot carry (%s)",
                    culprit,
                    self.path,
                    len(lost),
                    self.unsaved,
                    reason,
                )
        return tuple(lost)

    async def load_capabilities(self) -> list[Capability]:
        """Every stored capability with its last state, ordered by id; unreadable rows are
        skipped with a warning."""
        return await self.run("load capabilities", self._load)

    async def last_written(self) -> dict[str, float]:
        """When each stored capability's definition or state was last written (Unix
        seconds): the last time anything was heard of it."""

        def read(conn: sqlite3.Connection) -> dict[str, float]:
            rows = conn.execute(
                "SELECT c.id, max(c.updated, coalesce(s.updated, c.updated))"
                " FROM capabilities AS c LEFT JOIN states AS s ON s.id = c.id"
            ).fetchall()
            return {cap_id: float(updated) for cap_id, updated in rows}

        return await self.run("read when capabilities were written", read)

    async def get(self, key: str) -> Any | None:
        """The JSON value stored under `key`, or None."""
        row = await self.run(
            f"read {key!r}",
            lambda conn: conn.execute("SELECT json FROM kv WHERE key = ?", (key,)).fetchone(),
        )
        return None if row is None else json.loads(row[0])

    async def set(self, key: str, value: Any) -> None:
        """Store `value` (anything JSON can carry) under `key`."""
        try:
            text = _dumps(value)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"{self.path}: cannot store {key!r}: not JSON ({exc})") from exc
        await self.run(
            f"write {key!r}",
            lambda conn: conn.execute(
                "INSERT INTO kv (key, json) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET json = excluded.json",
                (key, text),
            ),
        )

    async def delete(self, key: str) -> None:
        await self.run(
            f"delete {key!r}", lambda conn: conn.execute("DELETE FROM kv WHERE key = ?", (key,))
        )

    # -- the worker thread's side ---------------------------------------------------------

    async def _submit(self, fn: Callable[[], T]) -> T:
        if self._executor is None:
            raise StoreError(f"{self.path}: the store is not open; use `async with Store(path)`")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    def _call(self, what: str, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._conn is None:
            raise StoreError(f"{self.path}: the store is not open; use `async with Store(path)`")
        try:
            return fn(self._conn)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot {what}: {exc}{_advice(exc)}") from exc

    def _write(
        self,
        conn: sqlite3.Connection,
        defined: Sequence[Capability],
        states: Sequence[Capability],
        deleted: Sequence[str],
        lost: dict[str, str],
    ) -> None:
        now = time.time()
        # Each batch is one JSON document that SQLite unpacks with json_each: one trip into
        # SQLite per table instead of one per row. Each trip releases the GIL, and while
        # the event loop is saturated the worker can wait long to get it back (see above).
        statements: list[tuple[str, tuple[Any, ...]]] = []
        if defined:
            rows = self._encode(
                defined, lambda cap: [cap.id, _definition(cap)], _DEFINITIONS, lost
            )
            statements.append((_SAVE_DEFINITIONS, (now, rows)))
        if defined or states:
            everything = (*defined, *states)
            rows = self._encode(everything, _state_row, _STATES, lost)
            statements.append((_SAVE_STATES, (now, rows)))
        if deleted:
            ids = _dumps(deleted)
            statements += [(_DELETE_DEFINITIONS, (ids,)), (_DELETE_STATES, (ids,))]
        if len(statements) == 1:  # the usual flush: states only; one statement is atomic
            conn.execute(*statements[0])
            return
        with _transaction(conn):
            for statement in statements:
                conn.execute(*statement)

    def _encode(
        self,
        caps: Sequence[Capability],
        row: Callable[[Capability], Any],
        chunk: int,
        lost: dict[str, str],
    ) -> str:
        """The rows of `caps` as one JSON array, `chunk` rows per `json.dumps` call; a row
        JSON cannot carry is left out, its capability's id and the reason put in `lost`.

        Encoding on this thread keeps it off the event loop, but not off the GIL: a dumps
        call runs in C holding it (1,000 light definitions, 4 MB, took 50 ms in one
        call), and CPython lets a waiting thread in only every switch interval (5 ms).
        So rows go in chunks of about a millisecond's work, and the GIL is offered back
        between chunks: the loop, waiting for it, gets it within a chunk.
        """
        parts = []
        for start in range(0, len(caps), chunk):
            if start:
                time.sleep(0)  # releases the GIL: a waiting thread takes it now
            batch = caps[start : start + chunk]
            rows = [row(cap) for cap in batch]
            try:
                parts.append(_dumps(rows)[1:-1])  # the rows without the brackets
            except (TypeError, ValueError):
                # the slow path, for a chunk with a bad row: each row on its own, so that
                # one value JSON cannot carry costs that row and not the chunk
                for cap, one in zip(batch, rows, strict=True):
                    try:
                        parts.append(_dumps(one))
                    except (TypeError, ValueError) as exc:
                        lost.setdefault(cap.id, str(exc))
        return f"[{','.join(parts)}]"

    def _load(self, conn: sqlite3.Connection) -> list[Capability]:
        rows = conn.execute(
            "SELECT c.id, c.json, s.json, s.available FROM capabilities AS c"
            " LEFT JOIN states AS s ON s.id = c.id ORDER BY c.id"
        ).fetchall()
        caps = []
        for cap_id, text, state, available in rows:
            try:
                data = json.loads(text)
                if state is not None:
                    data["state"] = json.loads(state)
                    data["available"] = bool(available)
                caps.append(capability_from_dict(data))
            except (ValueError, TypeError, PayloadError) as exc:
                # one bad row must not cost the whole snapshot: skip it and say so
                _LOGGER.warning(
                    "skipped unreadable capability path=%s capability=%s: %r",
                    self.path,
                    cap_id,
                    exc,
                )
        return caps

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"{self.path}: cannot create the directory {self.path.parent}: {exc.strerror};"
                " create it or choose another data_dir"
            ) from exc
        try:
            # autocommit mode: transactions are explicit (BEGIN IMMEDIATE ... COMMIT)
            conn = sqlite3.connect(self.path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the database: {exc}{_advice(exc)}") from exc
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                _LOGGER.warning(
                    "WAL mode unavailable, using %s path=%s (a network filesystem?)",
                    mode,
                    self.path,
                )
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA busy_timeout = 5000")
            _migrate(conn, self.path)
        except sqlite3.Error as exc:
            conn.close()
            raise StoreError(f"{self.path}: cannot open the database: {exc}{_advice(exc)}") from exc
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        _LOGGER.info("store open path=%s schema=%d", self.path, SCHEMA_VERSION)

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
            _LOGGER.info("store closed path=%s", self.path)


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` on any error."""
    # IMMEDIATE takes the write lock up front, so a transaction cannot fail half-way
    # through on a lock upgrade
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: the database has schema version {version}, newer than this hub's"
            f" ({SCHEMA_VERSION}); upgrade the hub, or point data_dir elsewhere"
        )
    for number in range(version, SCHEMA_VERSION):
        with _transaction(conn):
            for statement in MIGRATIONS[number]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")
        _LOGGER.info("store migrated path=%s schema=%d", path, number + 1)


def _advice(exc: sqlite3.Error) -> str:
    """What the user can do about the most common failures."""
    text = str(exc)
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return (
            "; the file is damaged or not a hub database: stop the hub and move the file"
            " aside (the hub then starts with an empty one), or restore it from a backup"
        )
    if "unable to open" in text or "readonly" in text:
        return "; check that the file and its directory are writable by the hub's user"
    if "locked" in text or "busy" in text:
        return "; another process holds the database: is a second hub using this data_dir?"
    return ""


def _state_row(cap: Capability) -> list[Any]:
    return [cap.id, cap.state, cap.available]


def _definition(cap: Capability) -> dict[str, Any]:
    """What the ``capabilities`` table holds: all but state and availability, which live
    in ``states``. ``load`` stays, as of the last definition write (never restored)."""
    data = capability_to_dict(cap)
    del data["state"], data["available"]
    return data


def _jsonable(value: Any) -> Any:
    # capabilities hold read-only mappings (MappingProxyType), which json cannot encode
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_jsonable, separators=(",", ":"), allow_nan=False)
