from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
import threading
from contextlib import closing
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from hub.errors import StoreError
from hub.model import Capability, NodeId, Tool, Trigger
from hub.store import SCHEMA_VERSION, Store

LIGHT = Capability(
    id="light.kitchen",
    type="light",
    name="Kitchen light",
    node=NodeId("abc"),
    area="kitchen",
    description="Ceiling light",
    aliases=("big light",),
    tools=(
        Tool(
            "turn_on",
            "Turn it on",
            MappingProxyType(
                {"type": "object", "properties": {"brightness_pct": {"type": "integer"}}}
            ),
            timeout=3.0,
        ),
        Tool("get_state"),
    ),
    triggers=(Trigger("motion", intent="motion in {area}", priority=2, throttle=5.0),),
    attributes=MappingProxyType({"gpu": False, "device": {"model": "LED1545G12"}}),
    state=MappingProxyType({"state": "on", "brightness": 215}),
    load=0.25,
    source="config",
)
SENSOR = Capability(id="sensor.hall", type="sensor", state=MappingProxyType({"state": 21.5}))


async def test_capabilities_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    async with Store(path) as store:
        await store.save_capabilities([LIGHT, SENSOR])
    async with Store(path) as store:
        loaded = await store.load_capabilities()
    assert loaded == [LIGHT, SENSOR]


async def test_save_upserts_and_delete_removes(tmp_path: Path) -> None:
    async with Store(tmp_path / "hub.db") as store:
        await store.save_capabilities([LIGHT, SENSOR])
        await store.save_capabilities([LIGHT.with_state({"state": "off"})])
        await store.delete_capabilities(["sensor.hall", "not.there"])
        loaded = await store.load_capabilities()
    assert [c.id for c in loaded] == ["light.kitchen"]
    assert loaded[0].state == {"state": "off"}


async def test_kv_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    async with Store(path) as store:
        assert await store.get("timers") is None
        await store.set("timers", [{"at": 1.5, "automation": "night"}])
        await store.set("counter", 1)
        await store.set("counter", 2)
        await store.set("gone", "x")
        await store.delete("gone")
    async with Store(path) as store:
        assert await store.get("timers") == [{"at": 1.5, "automation": "night"}]
        assert await store.get("counter") == 2
        assert await store.get("gone") is None


async def test_wal_mode_normal_sync_and_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    async with Store(path) as store:
        synchronous = await store.run(
            "read pragma", lambda c: c.execute("PRAGMA synchronous").fetchone()[0]
        )
        assert synchronous == 1  # NORMAL
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert SCHEMA_VERSION >= 1


async def test_every_call_runs_on_one_worker_thread(tmp_path: Path) -> None:
    async with Store(tmp_path / "hub.db") as store:
        idents = {await store.run("who", lambda _: threading.get_ident()) for _ in range(20)}
        await store.save_capabilities([LIGHT])
        idents.add(await store.run("who", lambda _: threading.get_ident()))
    assert len(idents) == 1
    assert threading.get_ident() not in idents


async def test_corrupt_database_names_the_path_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    path.write_bytes(b"this is not a database, just some text that is long enough" * 100)
    with pytest.raises(StoreError) as info:
        async with Store(path):
            pass
    text = str(info.value)
    assert text.startswith(f"{path}: cannot open the database: file is not a database")
    assert "move the file aside" in text


async def test_database_from_a_newer_hub_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    with pytest.raises(
        StoreError,
        match=re.escape(
            f"{path}: the database has schema version {SCHEMA_VERSION + 5}, newer than this"
            f" hub's ({SCHEMA_VERSION}); upgrade the hub"
        ),
    ):
        async with Store(path):
            pass


async def test_sqlite_errors_say_what_failed(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    async with Store(path) as store:
        with pytest.raises(
            StoreError, match=re.escape(f"{path}: cannot count traces: no such table: traces")
        ):
            await store.run("count traces", lambda c: c.execute("SELECT count(*) FROM traces"))


async def test_a_state_json_cannot_carry_is_left_out_by_name(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bad = SENSOR.with_state({"state": b"\x00raw"})
    async with Store(tmp_path / "hub.db") as store:
        assert await store.save_capabilities([LIGHT, bad]) == ("sensor.hall",)
        # the rest was written: the sensor's definition, but not its state
        assert await store.load_capabilities() == [LIGHT, SENSOR.with_state({})]
        assert store.unsaved == 1
        with pytest.raises(StoreError, match="cannot store 'x': not JSON"):
            await store.set("x", {1, 2})
    assert "capability not saved, its change is lost capability=sensor.hall" in caplog.text
    assert "bytes is not JSON" in caplog.text


async def test_an_unreadable_row_is_skipped_not_fatal(tmp_path: Path) -> None:
    async with Store(tmp_path / "hub.db") as store:
        await store.save_capabilities([LIGHT])
        await store.run(
            "insert a bad row",
            lambda c: c.execute(
                "INSERT INTO capabilities (id, json, updated) VALUES ('bad', '{\"id\": 1}', 0)"
            ),
        )
        assert [c.id for c in await store.load_capabilities()] == ["light.kitchen"]


async def test_use_outside_the_block_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    store = Store(path)
    with pytest.raises(StoreError, match=re.escape(f"{path}: the store is not open")):
        await store.get("x")
    async with store:
        await store.set("x", 1)
        with pytest.raises(StoreError, match="already open"):
            async with store:
                pass
    # reusable once closed
    async with store:
        assert await store.get("x") == 1


async def test_creates_a_missing_data_directory(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "hub.db"
    async with Store(path) as store:
        await store.set("k", "v")
    assert path.exists()


def table(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


async def test_definition_and_state_live_in_two_tables(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    async with Store(path) as store:
        await store.save_capabilities([LIGHT])
        [(definition,)] = table(path, "SELECT json FROM capabilities")
        assert "state" not in json.loads(definition) and "available" not in definition
        assert json.loads(definition)["tools"][0]["name"] == "turn_on"
        assert table(path, "SELECT id, json, available FROM states") == [
            ("light.kitchen", '{"state":"on","brightness":215}', 1)
        ]
        # a state-only save leaves the definition row alone
        off = dataclasses.replace(LIGHT, state=MappingProxyType({"state": "off"}), available=False)
        await store.save_states([off])
        assert table(path, "SELECT json FROM capabilities") == [(definition,)]
        assert table(path, "SELECT json, available FROM states") == [('{"state":"off"}', 0)]
        assert await store.load_capabilities() == [off]
        # a state without its definition is kept but does not make a capability
        await store.save_states([SENSOR])
        assert [c.id for c in await store.load_capabilities()] == ["light.kitchen"]
        await store.delete_capabilities(["light.kitchen", "sensor.hall"])
        assert table(path, "SELECT id FROM capabilities") == []
        assert table(path, "SELECT id FROM states") == []


async def test_one_save_writes_definitions_states_and_deletions_or_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "hub.db"
    async with Store(path) as store:
        await store.save_capabilities([SENSOR])
        bad = dataclasses.replace(LIGHT, id="light.bad", state=MappingProxyType({"x": b"raw"}))
        # a row JSON cannot carry is left out; the rest of the write happens
        lost = await store.save_changes(defined=[LIGHT], states=[bad], deleted=["sensor.hall"])
        assert lost == ("light.bad",)
        assert await store.load_capabilities() == [LIGHT]
        await store.save_capabilities([SENSOR])
        await store.save_changes(
            defined=[LIGHT], states=[SENSOR.with_state({"state": 19.0})], deleted=["sensor.hall"]
        )
        assert await store.load_capabilities() == [LIGHT]
        assert table(path, "SELECT id FROM states") == [("light.kitchen",)]


async def test_a_schema_1_database_keeps_its_states(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "hub.db"
    rows = [
        ("sensor.hall", {"id": "sensor.hall", "type": "sensor", "state": {"state": 21.5}}, 5.0),
        ("light.hall", {"id": "light.hall", "type": "light", "tools": [], "available": False}, 6),
        ("switch.odd", {"id": "switch.odd", "type": "switch", "tools": [], "state": "on"}, 7),
    ]
    with closing(sqlite3.connect(path)) as conn:
        conn.execute(
            "CREATE TABLE capabilities (id TEXT PRIMARY KEY, json TEXT NOT NULL,"
            " updated REAL NOT NULL)"
        )
        conn.execute("CREATE TABLE kv (key TEXT PRIMARY KEY, json TEXT NOT NULL)")
        for cap_id, data, updated in rows:
            conn.execute(
                "INSERT INTO capabilities VALUES (?, ?, ?)", (cap_id, json.dumps(data), updated)
            )
        conn.execute("INSERT INTO capabilities VALUES ('bad.row', 'not json', 8.0)")
        conn.execute("PRAGMA user_version = 1")
        conn.commit()
    async with Store(path) as store:
        loaded = await store.load_capabilities()
    assert loaded == [
        Capability(id="light.hall", type="light", available=False),
        dataclasses.replace(SENSOR, tools=loaded[1].tools),
        Capability(id="switch.odd", type="switch"),
    ]
    assert loaded[1].tools  # no tools written: the sensor's standard tools
    assert table(path, "SELECT id, json, available, updated FROM states ORDER BY id") == [
        ("light.hall", "{}", 0, 6.0),
        ("sensor.hall", '{"state":21.5}', 1, 5.0),
        ("switch.odd", "{}", 1, 7.0),
    ]
    assert table(path, "SELECT id, json FROM capabilities ORDER BY id") == [
        ("bad.row", "not json"),  # left as it was, and skipped on load
        ("light.hall", '{"id":"light.hall","type":"light","tools":[]}'),
        ("sensor.hall", '{"id":"sensor.hall","type":"sensor"}'),
        ("switch.odd", '{"id":"switch.odd","type":"switch","tools":[]}'),
    ]
    assert "skipped unreadable capability" in caplog.text and "capability=bad.row" in caplog.text


async def test_large_batches_round_trip_and_name_a_bad_capability(tmp_path: Path) -> None:
    # more rows than one encoding chunk holds, for definitions and for states
    caps = [
        dataclasses.replace(LIGHT, id=f"light.n{i:03d}", state=MappingProxyType({"level": i}))
        for i in range(600)
    ]
    async with Store(tmp_path / "hub.db") as store:
        await store.save_capabilities(caps)
        assert await store.load_capabilities() == caps
        changed = [cap.with_state({"level": -i, "name": "ü"}) for i, cap in enumerate(caps)]
        await store.save_states(changed)
        assert await store.load_capabilities() == changed
        again = [cap.with_state({"level": i}) for i, cap in enumerate(changed)]
        bad = [*again[:500], caps[500].with_state({"level": float("nan")}), *again[501:]]
        assert await store.save_states(bad) == ("light.n500",)
        # every other row of the chunk and of the batch was saved; light.n500 kept its last
        assert await store.load_capabilities() == [*again[:500], changed[500], *again[501:]]
