"""Capabilities nobody provides any more: withdrawn when gone from the configuration, when
unclaimed past `stale_after`, or by hand (real SQLite store, ManualClock)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.clock import ManualClock
from hub.config import load_config
from hub.config.schema import STALE_AFTER_S, parse_duration
from hub.errors import CapabilityInUse, ConfigError, RegistryError
from hub.events import EventBus
from hub.leftovers import START_GRACE, Leftovers
from hub.model import Capability, NodeId
from hub.registry import Registry
from hub.runtime import Hub
from hub.store import Store
from tests.broker import Mosquitto
from tests.hubs import write_config
from tests.waiting import eventually

NODE = NodeId("mzuhvlpymk6xo3epygfy5h4oea")
DAY = 86400.0
BULB = Capability(id="light.old_bulb", type="light", source="zigbee2mqtt")
PLUG = Capability(id="switch.plug", type="switch", source="zigbee2mqtt")
PORCH = Capability(id="light.porch", type="light", source="config")
SHED = Capability(id="light.shed", type="light", source="config")


async def remember(path: Path, *capabilities: Capability) -> None:
    """A first run: the capabilities are registered, then saved as the hub stops."""
    async with Store(path) as store, Registry(EventBus(), node_id=NODE, store=store) as reg:
        for capability in capabilities:
            reg.add(capability)


@asynccontextmanager
async def restarted(
    path: Path,
    clock: ManualClock,
    *,
    configured: tuple[Capability, ...] = (),
    stale_after: float = STALE_AFTER_S,
) -> AsyncIterator[tuple[Registry, Leftovers]]:
    bus = EventBus()
    async with (
        Store(path) as store,
        Registry(bus, node_id=NODE, store=store, clock=clock) as reg,
        Leftovers(reg, bus, clock, node=NODE, store=store, configured=configured,
                  stale_after=stale_after) as leftovers,
    ):
        yield reg, leftovers


def now_clock() -> ManualClock:
    # the store stamps rows with the real time: the manual clock starts there
    return ManualClock(datetime.now(UTC))


def stored_ids(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM capabilities")}


async def test_a_restored_capability_nobody_claims_is_withdrawn_after_stale_after(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "hub.db"
    await remember(db, BULB, PLUG)
    clock = now_clock()
    caplog.set_level(logging.INFO, logger="hub.leftovers")
    async with restarted(db, clock) as (registry, leftovers):
        assert leftovers.unclaimed(BULB.id) and leftovers.unclaimed(PLUG.id)
        registry.add(PLUG)  # its integration is back: claimed
        assert not leftovers.unclaimed(PLUG.id)
        clock.advance(7 * DAY - 60)
        assert BULB.id in registry and not registry.get(BULB.id).available
        clock.advance(120)
        await eventually(lambda: BULB.id not in registry)
        assert PLUG.id in registry
    assert stored_ids(db) == {PLUG.id}
    assert (
        "capability withdrawn: its provider has not registered it for 604800 s"
        f" capability={BULB.id}"
    ) in caplog.text


async def test_after_a_long_stop_providers_get_a_grace_after_the_start(tmp_path: Path) -> None:
    db = tmp_path / "hub.db"
    await remember(db, BULB)
    with closing(sqlite3.connect(db)) as conn, conn:  # last heard of 30 days ago
        conn.execute("UPDATE capabilities SET updated = updated - ?", (30 * DAY,))
        conn.execute("UPDATE states SET updated = updated - ?", (30 * DAY,))
    clock = now_clock()
    async with restarted(db, clock) as (registry, _):
        clock.advance(START_GRACE - 1)
        assert BULB.id in registry
        clock.advance(2)
        await eventually(lambda: BULB.id not in registry)


async def test_a_short_stale_after_shortens_the_grace_too(tmp_path: Path) -> None:
    db = tmp_path / "hub.db"
    await remember(db, BULB)
    clock = now_clock()
    async with restarted(db, clock, stale_after=600) as (registry, _):
        clock.advance(599)
        assert BULB.id in registry
        clock.advance(2)
        await eventually(lambda: BULB.id not in registry)


async def test_a_capability_removed_from_the_configuration_is_withdrawn_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "hub.db"
    await remember(db, PORCH, SHED, BULB)
    caplog.set_level(logging.INFO, logger="hub.leftovers")
    async with restarted(db, now_clock(), configured=(PORCH,)) as (registry, _):
        assert SHED.id not in registry
        assert {c.id for c in registry.all()} == {PORCH.id, BULB.id}
    assert stored_ids(db) == {PORCH.id, BULB.id}
    assert f"capability withdrawn: no longer in the configuration capability={SHED.id}" in (
        caplog.text)


async def test_removing_by_hand_takes_only_what_would_not_come_back(tmp_path: Path) -> None:
    db = tmp_path / "hub.db"
    remote = Capability(id="camera.barn", type="camera", node=NodeId("otherhub"))
    await remember(db, BULB, PLUG)
    async with restarted(db, now_clock(), configured=(PORCH,)) as (registry, leftovers):
        registry.add(PORCH)
        registry.add(PLUG)
        registry.add(remote)
        assert leftovers.remove(BULB.id).id == BULB.id
        assert BULB.id not in registry
        with pytest.raises(CapabilityInUse) as provided:
            leftovers.remove(PLUG.id)
        assert str(provided.value) == (
            "switch.plug is provided by the integration 'zigbee2mqtt' running on this hub,"
            " which would register it again: remove the device from its integration (or the"
            " integration from configuration.yaml); only capabilities no provider has"
            " registered since the hub started can be removed"
        )
        with pytest.raises(CapabilityInUse, match=r"^light.porch is declared in the configu"):
            leftovers.remove(PORCH.id)
        with pytest.raises(RegistryError, match='No capability "light.old_bul"'):
            leftovers.remove("light.old_bul")
        leftovers.remove(remote.id)  # another hub advertises it again if it still has it
        assert {c.id for c in registry.all()} == {PORCH.id, PLUG.id}
    assert stored_ids(db) == {PORCH.id, PLUG.id}


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("7d", 7 * DAY), ("12h", 43200.0), ("30m", 1800.0), ("45s", 45.0), ("90", 90.0),
     ("1d12h", 1.5 * DAY), ("2w", 14 * DAY), ("1.5h", 5400.0)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3d", 3 * DAY), ("3600", 3600.0), ("600", 600.0), ("", STALE_AFTER_S)],
)
def test_registry_stale_after_is_read_from_the_configuration(
    tmp_path: Path, value: str, expected: float
) -> None:
    config_dir = write_config(tmp_path)
    path = config_dir / "configuration.yaml"
    path.write_text(path.read_text() + f"registry:\n  stale_after: {value}\n")
    assert load_config(config_dir).registry.stale_after == expected


@pytest.mark.parametrize("value", ["soon", "0", "-1d", "7 days", ".inf"])
def test_a_bad_stale_after_names_the_line(tmp_path: Path, value: str) -> None:
    config_dir = write_config(tmp_path)
    path = config_dir / "configuration.yaml"
    lines = path.read_text().count("\n")
    path.write_text(path.read_text() + f"registry:\n  stale_after: {value}\n")
    with pytest.raises(ConfigError) as error:
        load_config(config_dir)
    assert str(error.value).startswith(
        f"configuration.yaml:{lines + 2}:16: registry.stale_after: expected a duration > 0"
        " such as 7d, 12h, 30m or a number of seconds, got "
    )


async def test_a_hub_forgets_a_capability_taken_out_of_its_configuration(
    tmp_path: Path, mosquitto: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    porch = {"id": "light.porch", "type": "light", "name": "Porch"}
    shed = {"id": "light.shed", "type": "light", "name": "Shed"}
    mqtt = {"host": mosquitto.host, "port": mosquitto.port}
    async with Hub(load_config(write_config(tmp_path, mqtt=mqtt, capabilities=[porch, shed]))):
        pass
    caplog.set_level(logging.INFO, logger="hub.leftovers")
    async with Hub(load_config(write_config(tmp_path, mqtt=mqtt, capabilities=[porch]))) as hub:
        assert [c.id for c in hub.registry.all()] == ["light.porch"]
        # Still declared, so kept; nothing drives it, which it says (not an error).
        assert hub.registry.get("light.porch").reason == "no provider"
    assert "capability withdrawn: no longer in the configuration capability=light.shed" in (
        caplog.text)
    assert stored_ids(tmp_path / "data" / "hub.db") == {"light.porch"}
