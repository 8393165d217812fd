from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from hub.clock import ManualClock
from hub.errors import ConfigError, RegistryError, StoreError
from hub.events import (
    AvailabilityChanged,
    CapabilityAdded,
    CapabilityRemoved,
    CapabilityUpdated,
    Event,
    EventBus,
    StateChanged,
)
from hub.model import Capability, NodeId, Tool, ToolResult, Trigger
from hub.registry import Registry
from hub.store import Store
from tests.waiting import eventually

NODE = NodeId("mzuhvlpymk6xo3epygfy5h4oea")
LIGHT = Capability(id="light.kitchen", type="light", tools=(Tool("turn_on"),))
HALL = Capability(id="light.hall", type="light")
SENSOR = Capability(id="sensor.kitchen_temperature", type="sensor")


class SleepWatchingClock(ManualClock):
    """A ManualClock that says when someone is asleep on it, so a test can advance time
    exactly when the flusher is waiting."""

    def __init__(self) -> None:
        super().__init__()
        self.sleepers = 0

    async def sleep(self, seconds: float) -> None:
        self.sleepers += 1
        try:
            await super().sleep(seconds)
        finally:
            self.sleepers -= 1


class SteppingClock(ManualClock):
    """A ManualClock whose wall time can also jump on its own, as NTP steps it."""

    def __init__(self) -> None:
        super().__init__()
        self.stepped = timedelta()

    def now(self) -> datetime:
        return super().now() + self.stepped


class ThreadProbe(Mapping[str, Any]):
    """A read-only mapping that notes the thread of every read of it: encoding a
    capability to JSON reads its state, so this tells which thread did the encoding."""

    def __init__(self, readers: list[int]) -> None:
        self._readers = readers
        self._data = {"probe": True}

    def __getitem__(self, key: str) -> Any:
        self._readers.append(threading.get_ident())
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        self._readers.append(threading.get_ident())
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def rows(path: Path, table: str) -> dict[str, tuple[Any, ...]]:
    """The rows of `table` by id, read with a plain sqlite3 connection."""
    with closing(sqlite3.connect(path)) as conn:
        found = conn.execute(f"SELECT * FROM {table}").fetchall()
    return {row[0]: row[1:] for row in found}


def record(bus: EventBus) -> list[Event]:
    events: list[Event] = []
    bus.listen(Event, events.append)
    return events


async def stored_state(path: Path, capability_id: str) -> Mapping[str, Any] | None:
    async with Store(path) as store:
        for cap in await store.load_capabilities():
            if cap.id == capability_id:
                return cap.state
    return None


def test_add_emits_added_and_fills_in_the_node() -> None:
    bus = EventBus()
    events = record(bus)
    clock = ManualClock()
    registry = Registry(bus, node_id=NODE, clock=clock)
    stored = registry.add(LIGHT)
    assert stored.node == NODE
    assert registry.get("light.kitchen") is stored
    assert events == [CapabilityAdded(stored, time=clock.now().timestamp())]
    # another node's capability keeps its node
    remote = registry.add(Capability(id="camera.porch", type="camera", node=NodeId("other")))
    assert remote.node == "other"
    assert registry.all() == (stored, remote)
    assert len(registry) == 2 and "camera.porch" in registry


def test_re_adding_updates_and_keeps_the_last_state() -> None:
    bus = EventBus()
    registry = Registry(bus, node_id=NODE)
    registry.add(LIGHT)
    registry.set_state("light.kitchen", {"state": "on"})
    events = record(bus)
    renamed = registry.add(Capability(id="light.kitchen", type="light", name="Kitchen"))
    assert renamed.state == {"state": "on"}
    assert [type(e) for e in events] == [CapabilityUpdated]
    # a new value that brings a state replaces the old one, and says so
    registry.add(LIGHT.with_state({"state": "off"}))
    assert [type(e) for e in events] == [CapabilityUpdated, CapabilityUpdated, StateChanged]
    assert isinstance(events[-1], StateChanged)
    assert events[-1].old == {"state": "on"} and events[-1].new == {"state": "off"}


def test_remove() -> None:
    bus = EventBus()
    registry = Registry(bus, node_id=NODE)
    registry.add(LIGHT)
    events = record(bus)
    assert registry.remove("light.kitchen")
    assert not registry.remove("light.kitchen")
    assert [type(e) for e in events] == [CapabilityRemoved]
    assert registry.find("light.kitchen") is None
    assert registry.handler("light.kitchen") is None


def test_unknown_id_names_close_matches() -> None:
    registry = Registry(EventBus(), node_id=NODE)
    with pytest.raises(RegistryError, match='No capability "light.kitchen": none is registered'):
        registry.get("light.kitchen")
    for cap in (LIGHT, HALL, SENSOR):
        registry.add(cap)
    with pytest.raises(
        RegistryError,
        match=re.escape('No capability "light.kitchn". Known: light.kitchen, light.hall'),
    ):
        registry.get("light.kitchn")
    for i in range(10):
        registry.add(Capability(id=f"switch.plug_{i}", type="switch"))
    with pytest.raises(RegistryError) as info:
        registry.set_state("switch.plug_x", {"state": "on"})
    assert str(info.value).startswith('No capability "switch.plug_x". Known: switch.plug_')
    assert str(info.value).endswith("... (13 in all)")


def test_set_state_merges_and_reports_changes() -> None:
    bus = EventBus()
    clock = ManualClock()
    registry = Registry(bus, node_id=NODE, clock=clock)
    registry.add(LIGHT)
    events = record(bus)
    clock.advance(5.0)
    assert registry.set_state("light.kitchen", {"state": "on", "brightness": 200})
    assert registry.set_state("light.kitchen", {"brightness": 100})
    assert not registry.set_state("light.kitchen", {"brightness": 100})
    assert not registry.set_state("light.kitchen", {})
    assert registry.get("light.kitchen").state == {"state": "on", "brightness": 100}
    assert events == [
        StateChanged(
            "light.kitchen", {}, {"state": "on", "brightness": 200}, time=clock.now().timestamp()
        ),
        StateChanged(
            "light.kitchen",
            {"state": "on", "brightness": 200},
            {"state": "on", "brightness": 100},
            time=clock.now().timestamp(),
        ),
    ]
    assert events[0].time == 1767225605.0  # 2026-01-01T00:00:05Z, from the clock


def test_set_state_replace() -> None:
    bus = EventBus()
    registry = Registry(bus, node_id=NODE)
    registry.add(LIGHT)
    registry.set_state("light.kitchen", {"state": "on", "brightness": 200})
    events = record(bus)
    assert registry.set_state("light.kitchen", {"state": "off"}, replace=True)
    assert not registry.set_state("light.kitchen", {"state": "off"}, replace=True)
    assert registry.get("light.kitchen").state == {"state": "off"}
    assert len(events) == 1
    # a state given is copied: changing the caller's dict later changes nothing
    changes: dict[str, Any] = {"state": "on"}
    registry.set_state("light.kitchen", changes, replace=True)
    changes["state"] = "off"
    assert registry.get("light.kitchen").state == {"state": "on"}
    with pytest.raises(TypeError):
        registry.get("light.kitchen").state["state"] = "off"  # type: ignore[index]


def test_availability_and_load() -> None:
    bus = EventBus()
    registry = Registry(bus, node_id=NODE)
    registry.add(LIGHT)
    events = record(bus)
    assert registry.set_available("light.kitchen", False)
    assert not registry.set_available("light.kitchen", False)
    assert not registry.get("light.kitchen").available
    assert [type(e) for e in events] == [AvailabilityChanged]
    registry.set_load("light.kitchen", 0.5)
    assert registry.get("light.kitchen").load == 0.5
    registry.set_load("light.kitchen", 7.0)
    assert registry.get("light.kitchen").load == 1.0
    with pytest.raises(RegistryError, match="light.kitchen: load must be a number in 0..1"):
        registry.set_load("light.kitchen", float("nan"))
    with pytest.raises(RegistryError, match='No capability "nope"'):
        registry.set_available("nope", True)
    assert len(events) == 1  # load changes are not announced


async def test_handlers_are_kept_per_capability() -> None:
    calls: list[tuple[str, Mapping[str, Any]]] = []

    async def handler(tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        calls.append((tool, arguments))
        return ToolResult(value={"ok": True})

    registry = Registry(EventBus(), node_id=NODE)
    registry.add(LIGHT, handler)
    registry.add(HALL)
    found = registry.handler("light.kitchen")
    assert found is handler
    assert await found("turn_on", {"brightness_pct": 30}) == ToolResult(value={"ok": True})
    assert calls == [("turn_on", {"brightness_pct": 30})]
    assert registry.handler("light.hall") is None
    assert registry.handler("nope") is None
    # re-registering without a handler means the tools are no longer served here
    registry.add(LIGHT)
    assert registry.handler("light.kitchen") is None


async def test_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    async with Store(path) as store, Registry(EventBus(), node_id=NODE, store=store) as registry:
        registry.add(LIGHT)
        registry.add(SENSOR)
        registry.set_state("light.kitchen", {"state": "on", "brightness": 180})
        registry.set_state("sensor.kitchen_temperature", {"state": 21.5})
        registry.set_load("light.kitchen", 0.7)
        registry.add(HALL)
        registry.remove("light.hall")

    bus = EventBus()
    events = record(bus)
    async with Store(path) as store, Registry(bus, node_id=NODE, store=store) as registry:
        light = registry.get("light.kitchen")
        assert light.state == {"state": "on", "brightness": 180}
        assert light.tools == LIGHT.tools and light.node == NODE
        assert not light.available and light.load == 0.0
        assert registry.get("sensor.kitchen_temperature").state == {"state": 21.5}
        assert registry.find("light.hall") is None
        assert registry.handler("light.kitchen") is None
        assert sorted(type(e).__name__ for e in events) == ["CapabilityAdded"] * 2
        events.clear()
        # the provider comes back: available again, last state kept
        back = registry.add(LIGHT)
        assert back.available and back.state == {"state": "on", "brightness": 180}
        assert [type(e) for e in events] == [CapabilityUpdated, AvailabilityChanged]


async def test_write_behind_waits_for_the_interval(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    clock = SleepWatchingClock()
    async with (
        Store(path) as store,
        Registry(EventBus(), node_id=NODE, store=store, clock=clock, flush_interval=2.0) as reg,
    ):
        reg.add(LIGHT)
        await eventually(lambda: clock.sleepers == 1)
        for level in range(100):
            reg.set_state("light.kitchen", {"brightness": level})
        assert await stored_state(path, "light.kitchen") is None  # nothing written yet
        clock.advance(1.9)
        assert reg.flushes == 0
        clock.advance(0.1)
        await eventually(lambda: reg.flushes == 1)
        assert await stored_state(path, "light.kitchen") == {"brightness": 99}
        # idle: no change, no write, and the flusher waits for the next change
        clock.advance(10.0)
        reg.set_state("light.kitchen", {"brightness": 5})
        await eventually(lambda: clock.sleepers == 1)
        clock.advance(2.0)
        await eventually(lambda: reg.flushes == 2)
        assert await stored_state(path, "light.kitchen") == {"brightness": 5}


async def test_write_behind_flushes_on_exit(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    async with (
        Store(path) as store,
        Registry(EventBus(), node_id=NODE, store=store, flush_interval=3600) as registry,
    ):
        registry.add(LIGHT)
        registry.set_state("light.kitchen", {"state": "on"})
        assert registry.flushes == 0
    assert registry.flushes == 1
    assert await stored_state(path, "light.kitchen") == {"state": "on"}


async def test_a_failed_flush_keeps_the_changes_for_the_next(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    store = Store(path)
    registry = Registry(EventBus(), node_id=NODE, store=store)
    registry.add(LIGHT)
    registry.set_state("light.kitchen", {"state": "on"})
    with pytest.raises(StoreError, match="the store is not open"):
        await registry.flush()
    async with store:
        await registry.flush()
    assert await stored_state(path, "light.kitchen") == {"state": "on"}


async def test_removed_capability_is_deleted_from_the_store(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    async with Store(path) as store:
        registry = Registry(EventBus(), node_id=NODE, store=store)
        registry.add(LIGHT)
        await registry.flush()
        registry.remove("light.kitchen")
        await registry.flush()
        assert await store.load_capabilities() == []


async def test_withdrawals_while_stopping_keep_the_stored_rows_marked_unavailable(
    tmp_path: Path,
) -> None:
    """A clean stop must restore like a crash: integrations withdraw their capabilities on
    exit, and that must not delete what the store holds."""
    path = tmp_path / "hub.db"
    plug = Capability(id="switch.plug", type="switch")
    async with Store(path) as store:
        bus = EventBus()
        events = record(bus)
        async with Registry(bus, node_id=NODE, store=store) as registry:
            registry.add(LIGHT)
            registry.add(plug)
            await registry.flush()
            registry.remove("switch.plug")  # a device that left: deleted
            registry.set_state("light.kitchen", {"state": "on", "brightness": 80})
            registry.stopping()
            registry.remove("light.kitchen")  # the integration's exit: kept
            assert "light.kitchen" not in registry
        assert [e.capability_id for e in events if isinstance(e, CapabilityRemoved)] == [
            "switch.plug", "light.kitchen"]
        [kept] = await store.load_capabilities()
    assert kept.id == "light.kitchen" and not kept.available
    assert dict(kept.state) == {"state": "on", "brightness": 80}
    assert kept.tools == LIGHT.tools


async def test_restore_does_not_override_a_live_registration(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    async with Store(path) as store:
        await store.save_capabilities([LIGHT.with_state({"state": "off"})])
        registry = Registry(EventBus(), node_id=NODE, store=store)
        registry.add(LIGHT.with_state({"state": "on"}))
        async with registry:
            assert registry.get("light.kitchen").state == {"state": "on"}
            assert registry.get("light.kitchen").available


async def test_not_reentrant_and_rejects_bad_settings(tmp_path: Path) -> None:
    registry = Registry(EventBus(), node_id=NODE)
    async with registry:
        with pytest.raises(RegistryError, match="already running"):
            async with registry:
                pass
    with pytest.raises(ConfigError, match="flush_interval must be > 0 seconds, got 0"):
        Registry(EventBus(), node_id=NODE, flush_interval=0)
    with pytest.raises(RegistryError, match="a capability needs an id"):
        registry.add(Capability(id="", type="light"))


async def test_exit_raises_a_lost_snapshot_unless_another_error_propagates(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "hub.db")
    await store.__aenter__()
    registry = Registry(EventBus(), node_id=NODE, store=store, flush_interval=3600)
    with pytest.raises(ValueError, match="boom"):
        async with registry:
            registry.add(LIGHT)
            await store.__aexit__(None, None, None)
            raise ValueError("boom")
    await store.__aenter__()
    with pytest.raises(StoreError, match="the store is not open"):
        async with registry:
            registry.set_state("light.kitchen", {"state": "on"})
            await store.__aexit__(None, None, None)
    # nothing was lost from memory: the next flush writes it
    async with store:
        await registry.flush()
    assert await stored_state(tmp_path / "hub.db", "light.kitchen") == {"state": "on"}


def test_set_state_keeps_every_other_field() -> None:
    # set_state copies a capability without __init__ (see hub/registry.py `_with_state`)
    assert not hasattr(Capability, "__post_init__"), (
        "Capability gained a __post_init__: Registry.set_state skips __init__ when it copies"
        " a capability, so switch `_with_state` back to dataclasses.replace"
    )
    full = Capability(
        id="light.full",
        type="light",
        name="Full",
        node=NodeId("other"),
        area="lab",
        description="every field set",
        aliases=("all",),
        tools=(Tool("turn_on"),),
        triggers=(Trigger("motion"),),
        attributes=MappingProxyType({"gpu": True}),
        state=MappingProxyType({"state": "off"}),
        available=False,
        load=0.5,
        source="config",
    )
    registry = Registry(EventBus(), node_id=NODE)
    registry.add(full)
    registry.set_state("light.full", {"state": "on"})
    changed = registry.get("light.full")
    assert changed == dataclasses.replace(full, state={"state": "on"})
    assert type(changed) is Capability
    with pytest.raises(dataclasses.FrozenInstanceError):
        changed.name = "x"  # type: ignore[misc]
    # the state given is a fresh read-only mapping; the old value is untouched
    assert full.state == {"state": "off"}
    with pytest.raises(TypeError):
        changed.state["state"] = "off"  # type: ignore[index]


def test_event_stamps_follow_a_wall_clock_step_within_a_second() -> None:
    bus = EventBus()
    events = record(bus)
    clock = SteppingClock()
    registry = Registry(bus, node_id=NODE, clock=clock)
    registry.add(LIGHT)
    epoch = clock.now().timestamp()
    clock.stepped = timedelta(hours=1)
    clock.advance(0.5)
    registry.set_state("light.kitchen", {"state": "on"})  # the wall clock read 0.5 s ago
    clock.advance(0.5)
    registry.set_state("light.kitchen", {"state": "off"})  # read again: a second passed
    clock.advance(0.25)
    registry.set_state("light.kitchen", {"state": "on"})
    assert [e.time - epoch for e in events] == [0.0, 0.5, 3601.0, 3601.25]


async def test_restart_restores_state_from_the_states_table(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    async with Store(path) as store, Registry(EventBus(), node_id=NODE, store=store) as registry:
        registry.add(LIGHT)
        registry.set_state("light.kitchen", {"state": "on", "brightness": 180})
    definition, state = rows(path, "capabilities"), rows(path, "states")
    assert "state" not in json.loads(definition["light.kitchen"][0])
    assert json.loads(state["light.kitchen"][0]) == {"state": "on", "brightness": 180}
    assert state["light.kitchen"][1] == 1  # available
    # what comes back is the states table's row, not anything kept with the definition
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("UPDATE states SET json = '{\"state\": \"off\"}' WHERE id = 'light.kitchen'")
        conn.commit()
    async with Store(path) as store, Registry(EventBus(), node_id=NODE, store=store) as registry:
        light = registry.get("light.kitchen")
        assert light.state == {"state": "off"}
        assert not light.available
        assert light.tools == LIGHT.tools
        assert registry.add(LIGHT).available
    assert rows(path, "states")["light.kitchen"][1] == 1


async def test_definition_and_state_writes_are_separate(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"

    def mark_written_long_ago() -> None:
        with closing(sqlite3.connect(path)) as conn:
            conn.execute("UPDATE capabilities SET updated = 0")
            conn.execute("UPDATE states SET updated = 0")
            conn.commit()

    async with Store(path) as store:
        registry = Registry(EventBus(), node_id=NODE, store=store)
        registry.add(LIGHT)
        registry.add(SENSOR)
        await registry.flush()
        both = {"light.kitchen", "sensor.kitchen_temperature"}
        assert set(rows(path, "capabilities")) == set(rows(path, "states")) == both
        mark_written_long_ago()
        # a state change rewrites the state row alone
        registry.set_state("light.kitchen", {"state": "on"})
        await registry.flush()
        definitions, states = rows(path, "capabilities"), rows(path, "states")
        assert [d[1] for d in definitions.values()] == [0, 0]
        assert states["light.kitchen"][2] > 0 and states["sensor.kitchen_temperature"][2] == 0
        assert json.loads(states["light.kitchen"][0]) == {"state": "on"}
        # so does an availability change: the state row carries it
        mark_written_long_ago()
        registry.set_available("sensor.kitchen_temperature", False)
        await registry.flush()
        definitions, states = rows(path, "capabilities"), rows(path, "states")
        assert [d[1] for d in definitions.values()] == [0, 0]
        assert states["sensor.kitchen_temperature"][1] == 0  # unavailable
        assert states["sensor.kitchen_temperature"][2] > 0 and states["light.kitchen"][2] == 0
        # a re-registration rewrites the definition (and its state)
        mark_written_long_ago()
        registry.add(dataclasses.replace(LIGHT, name="Kitchen"))
        registry.set_state("light.kitchen", {"state": "off"})
        await registry.flush()
        definitions, states = rows(path, "capabilities"), rows(path, "states")
        assert json.loads(definitions["light.kitchen"][0])["name"] == "Kitchen"
        assert definitions["light.kitchen"][1] > 0
        assert definitions["sensor.kitchen_temperature"][1] == 0
        assert json.loads(states["light.kitchen"][0]) == {"state": "off"}
        # a removal deletes both rows
        registry.remove("light.kitchen")
        await registry.flush()
        assert (
            set(rows(path, "capabilities"))
            == set(rows(path, "states"))
            == {"sensor.kitchen_temperature"}
        )


async def test_a_flush_encodes_on_the_store_thread_not_the_loop(tmp_path: Path) -> None:
    readers: list[int] = []
    ids = [f"sensor.probe_{i}" for i in range(1000)]
    async with Store(tmp_path / "hub.db") as store:
        worker = await store.run("who", lambda _: threading.get_ident())
        assert worker != threading.get_ident()
        registry = Registry(EventBus(), node_id=NODE, store=store)
        for i, cap_id in enumerate(ids):
            # a definition whose state holds a probe: encoding it reads the probe
            state = {"probe": ThreadProbe(readers), "level": i}
            registry.add(Capability(id=cap_id, type="sensor", tools=LIGHT.tools, state=state))
        assert readers == []  # registering reads nothing
        await registry.flush()
        assert len(readers) >= 1000 and set(readers) == {worker}
        readers.clear()
        # 1,000 state changes: the probes are carried over into the new states unread
        for i, cap_id in enumerate(ids):
            assert registry.set_state(cap_id, {"level": i + 1})
        assert readers == []
        await registry.flush()
        assert len(readers) >= 1000 and set(readers) == {worker}
        stored = rows(tmp_path / "hub.db", "states")
        assert json.loads(stored["sensor.probe_7"][0]) == {"probe": {"probe": True}, "level": 8}


async def test_capabilities_that_come_and_go_leave_nothing_behind(tmp_path: Path) -> None:
    import gc
    import tracemalloc

    async def handler(tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        return ToolResult(value=None)

    path = tmp_path / "hub.db"
    async with Store(path) as store, Registry(EventBus(), node_id=NODE, store=store) as reg:
        reg.add(LIGHT)
        await reg.flush()
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for i in range(10_000):  # devices that join and leave, each under a new id
                reg.add(Capability(id=f"sensor.churn_{i}", type="sensor"), handler)
                reg.set_state(f"sensor.churn_{i}", {"state": i})
                reg.remove(f"sensor.churn_{i}")
            await reg.flush()
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert len(reg) == 1 and reg.handler("sensor.churn_0") is None
        assert grown < 256 * 1024, f"{grown} bytes more"
