"""Devices as Home Assistant shows them: entity coverage, command exactness, and the cost of
ingesting 1,000 devices' discovery configurations.

1. Coverage and exactness on the Zigbee2MQTT sample (tests/data/z2m_sample: 300 real device
   definitions, with what Zigbee2MQTT's own Home Assistant discovery makes of them): the
   share of the entities Home Assistant enables by default that are capabilities, and the
   share of sampled service calls whose payload is what Home Assistant would send
   (tests/z2m_oracle.py). The figures of main before this work (8a8e4c4, same harness)
   are given as the baseline.
2. Ingest: a separate publisher process announces `--devices` devices over MQTT discovery
   (each eight entities as Zigbee2MQTT announces a colour bulb and a plug: a JSON light,
   a switch, a power sensor, a binary sensor, a select and a number of category config, a
   button, a firmware update) to a hub with the `mqtt_discovery` integration on its own
   Mosquitto; the figure is configurations per second until every capability is
   registered (and its subscriptions acknowledged), and the hub's RSS before and after.

    python -m bench.ha_devices [--devices 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench.report import report
from hub.config import load_config
from hub.fabric import EmbeddedBroker
from hub.runtime import Hub
from tests.z2m_oracle import compare

PREFIX = "bench/ha"
BASE = "bench/z2m"
BASELINE = {"coverage": 0.615, "covered": 1393, "expected": 2266, "exactness": 0.904,
            "exact": 1967, "calls": 2176}
"""main at 8a8e4c4 on the same sample and harness (the calls it could make: fewer entities)."""

PUBLISHER = r"""
import json, sys
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
port, prefix, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
configs = json.load(open(path))
client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-announcer")
client.connect("127.0.0.1", port)
client.loop_start()
infos = [client.publish(f"{prefix}/{topic}", json.dumps(config), 1) for topic, config in configs]
for info in infos:
    info.wait_for_publish()
client.disconnect()
client.loop_stop()
"""


def device_configs(i: int) -> list[tuple[str, dict[str, Any]]]:
    """What Zigbee2MQTT announces for a colour bulb with a plug's extras (shapes as its HA
    discovery makes them)."""
    ieee = f"0x00124b00{i:08x}"
    topic = f"{BASE}/dev{i}"
    dev = {"ids": [f"zigbee2mqtt_{ieee}"], "name": f"Device {i}", "mf": "Acme",
           "mdl": "Bulb"}
    common = {"dev": dev, "avty_t": f"{BASE}/bridge/state", "stat_t": topic,
              "json_attr_t": topic, "o": {"name": "Zigbee2MQTT"}}

    def entry(platform: str, object_id: str, **config: Any) -> tuple[str, dict[str, Any]]:
        return (f"{platform}/{ieee}/{object_id}/config",
                {**common, "uniq_id": f"{ieee}_{object_id}_zigbee2mqtt", **config})

    return [
        entry("light", "light", schema="json", cmd_t=f"{topic}/set", brightness=True,
              brightness_scale=254, sup_clrm=["xy", "color_temp"], min_mirs=153,
              max_mirs=500),
        entry("switch", "switch", cmd_t=f"{topic}/set", val_tpl="{{ value_json.state }}",
              pl_on="ON", pl_off="OFF"),
        entry("sensor", "power", val_tpl="{{ value_json.power }}", unit_of_meas="W",
              dev_cla="power", stat_cla="measurement"),
        entry("binary_sensor", "overload", val_tpl="{{ value_json.overload }}",
              pl_on=True, pl_off=False, ent_cat="diagnostic"),
        entry("select", "power_on_behavior", cmd_t=f"{topic}/set/power_on_behavior",
              val_tpl="{{ value_json.power_on_behavior }}",
              ops=["off", "on", "toggle", "previous"], ent_cat="config"),
        entry("number", "countdown", cmd_t=f"{topic}/set/countdown",
              val_tpl="{{ value_json.countdown }}", min=0, max=43200, ent_cat="config"),
        entry("button", "identify", cmd_t=f"{topic}/set/identify", pl_prs="identify",
              ent_cat="config"),
        entry("update", "update", cmd_t=f"{BASE}/bridge/request/device/ota_update/update",
              pl_inst=json.dumps({"id": ieee}), ent_cat="config", dev_cla="firmware"),
    ]


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def ingest(args: argparse.Namespace) -> dict[str, Any]:
    configs = [c for i in range(args.devices) for c in device_configs(i)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "configs.json"
        path.write_text(json.dumps(configs))
        async with EmbeddedBroker(root / "broker", port=0) as broker:
            config_dir = root / "config"
            config_dir.mkdir()
            (config_dir / "configuration.yaml").write_text(yaml.safe_dump({
                "name": "bench", "data_dir": str(root / "data"),
                "mqtt": {"host": "127.0.0.1", "port": broker.port},
                # 8,000 entities: above the default cap of 5,000 (max_entities)
                "integrations": {"mqtt_discovery": {"discovery_prefix": PREFIX,
                                                    "birth": False,
                                                    "max_entities": 10_000}},
            }))
            async with Hub(load_config(config_dir)) as hub:
                before = rss_kib()
                start = time.monotonic()
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-c", PUBLISHER, str(broker.port), PREFIX, str(path))
                want = len(configs)
                while sum(1 for c in hub.registry.all()
                          if c.source == "mqtt_discovery") < want:
                    await asyncio.sleep(0.02)
                await hub.fabric.wait_subscribed()
                elapsed = time.monotonic() - start
                if await process.wait() != 0:
                    raise RuntimeError("the publisher failed")
                after = rss_kib()
                return {"configs": want, "seconds": round(elapsed, 3),
                        "configs_per_s": round(want / elapsed),
                        "devices_per_s": round(args.devices / elapsed),
                        "rss_before_mib": round(before / 1024, 1),
                        "rss_after_mib": round(after / 1024, 1),
                        "rss_per_device_kib": round((after - before) / args.devices, 1),
                        "bad_input": hub.bad_input.total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    args = parser.parse_args()
    sample = compare()
    figures: dict[str, Any] = {
        "coverage": round(sample.coverage, 4), "covered": sample.covered,
        "expected": sample.expected, "exactness": round(sample.exactness, 4),
        "exact": sample.exact, "calls": sample.calls, "capabilities": sample.capabilities,
        "baseline": BASELINE,
    }
    figures.update(asyncio.run(ingest(args)))
    rows = [
        ["HA-enabled entities covered (before)",
         f"{BASELINE['covered']}/{BASELINE['expected']} = {BASELINE['coverage']:.1%}"],
        ["HA-enabled entities covered (now)",
         f"{sample.covered}/{sample.expected} = {sample.coverage:.1%}"],
        ["sampled calls exact (before)",
         f"{BASELINE['exact']}/{BASELINE['calls']} = {BASELINE['exactness']:.1%}"],
        ["sampled calls exact (now)", f"{sample.exact}/{sample.calls} = {sample.exactness:.1%}"],
        ["capabilities from the sample", str(sample.capabilities)],
        [f"discovery configs ingested ({args.devices} devices)", str(figures["configs"])],
        ["ingest (configs/s)", str(figures["configs_per_s"])],
        ["ingest (devices/s)", str(figures["devices_per_s"])],
        ["RSS before / after ingest (MiB)",
         f"{figures['rss_before_mib']} / {figures['rss_after_mib']}"],
        ["RSS per device (KiB)", str(figures["rss_per_device_kib"])],
    ]
    report("ha_devices", {"devices": args.devices, "entities_per_device": 8,
                          "sample_devices": 300}, figures, ["figure", "value"], rows)


if __name__ == "__main__":
    main()
