"""Building hubs with automations for tests: a real configuration directory (the
automations in automations.yaml, included the way Home Assistant users do), a real
Mosquitto, devices declared as Home Assistant MQTT entities and played by a test peer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hub.clock import Clock
from hub.config import load_config
from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.hubs import write_config
from tests.mqtt import Peer, mqtt_peer
from tests.waiting import eventually


def entities(dev: str) -> dict[str, Any]:
    """A motion sensor, a temperature sensor, a light and a switch under `dev`."""
    return {
        "binary_sensor": [{"name": "Hall motion", "state_topic": f"{dev}/motion",
                           "device_class": "motion"}],
        "sensor": [{"name": "Living temperature", "state_topic": f"{dev}/temperature",
                    "unit_of_measurement": "°C"}],
        "light": [{"name": "Hall light", "command_topic": f"{dev}/light/set",
                   "state_topic": f"{dev}/light", "optimistic": True}],
        "switch": [{"name": "Fan", "command_topic": f"{dev}/fan/set",
                    "state_topic": f"{dev}/fan", "optimistic": True}],
    }


def write_automations(tmp_path: Path, mosquitto: Mosquitto, dev: str, automations: Any,
                      **sections: Any) -> Path:
    config_dir = write_config(tmp_path, mqtt={"host": mosquitto.host, "port": mosquitto.port,
                                              **entities(dev)}, **sections)
    text = (config_dir / "configuration.yaml").read_text()
    if isinstance(automations, str):
        (config_dir / "automations.yaml").write_text(automations)
    else:
        (config_dir / "automations.yaml").write_text(yaml.safe_dump(automations,
                                                                    sort_keys=False))
    (config_dir / "configuration.yaml").write_text(
        text + "automation: !include automations.yaml\n")
    return config_dir


@dataclass
class Rig:
    hub: Hub
    peer: Peer
    dev: str

    def send(self, name: str, payload: str, retain: bool = False) -> None:
        self.peer.publish(f"{self.dev}/{name}", payload, retain=retain)

    def commands(self, name: str) -> list[str]:
        return [p.decode() for p in self.peer.messages(f"{self.dev}/{name}/set")]

    def traces(self, automation: str) -> list[dict[str, Any]]:
        return self.hub.automations.traces.list(automation)

    def trace(self, automation: str, index: int = 0) -> dict[str, Any]:
        summary = self.traces(automation)[index]
        found = self.hub.automations.traces.get(automation, summary["run_id"])
        assert found is not None
        return found

    async def state(self, capability_id: str, value: str) -> None:
        await eventually(lambda: str(self.hub.registry.get(capability_id).state.get("state"))
                         == value)


@asynccontextmanager
async def automation_hub(tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str,
                         automations: Any, *, clock: Clock | None = None,
                         **sections: Any) -> AsyncIterator[Rig]:
    dev = f"{topic_prefix}/dev"
    config = load_config(write_automations(tmp_path, mosquitto, dev, automations, **sections))
    with mqtt_peer(mosquitto.host, mosquitto.port) as peer:
        peer.subscribe(f"{dev}/#")
        async with Hub(config, clock=clock) as hub:
            yield Rig(hub, peer, dev)
