from __future__ import annotations

import re
import sqlite3
import threading
from contextlib import closing
from pathlib import Path
from types import MappingProxyType

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


async def test_state_json_cannot_carry_is_refused_by_name(tmp_path: Path) -> None:
    bad = SENSOR.with_state({"state": b"\x00raw"})
    async with Store(tmp_path / "hub.db") as store:
        with pytest.raises(StoreError, match="cannot save capability 'sensor.hall'"):
            await store.save_capabilities([LIGHT, bad])
        # the transaction never started: nothing of the batch was written
        assert await store.load_capabilities() == []
        with pytest.raises(StoreError, match="cannot store 'x': not JSON"):
            await store.set("x", {1, 2})


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
