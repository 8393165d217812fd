"""How long checking Home Assistant-style MQTT entities under `mqtt:` takes at load.

Every entity is built once (twice when its id comes from its name) by MQTT discovery's
entity classes to check it, templates compiled, so `atmosphere config check` and start-up
pay per entity. Generates configurations of N entities (lights, switches, sensors with
value templates, binary sensors with availability), then times `check_config` (YAML
parse, the `mqtt:` key, every entity checked) and the `mqtt` integration's `validate`
alone. No broker, nothing runs.

    python -m bench.mqtt_yaml_load
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench.report import report
from hub.config import check_config, load_config

SIZES = (10, 100, 1000)
RUNS = 5


def entities(count: int) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {"light": [], "switch": [], "sensor": [],
                                            "binary_sensor": []}
    for i in range(count):
        base = f"home/device{i}"
        kind = ("light", "switch", "sensor", "binary_sensor")[i % 4]
        entity: dict[str, Any] = {"name": f"Device {i}", "state_topic": f"{base}/state"}
        if kind in ("light", "switch"):
            entity["command_topic"] = f"{base}/set"
        if kind == "light":
            entity.update(brightness_command_topic=f"{base}/bri/set",
                          brightness_state_topic=f"{base}/bri", brightness_scale=100)
        if kind == "sensor":
            entity.update(value_template="{{ value_json.temperature | round(1) }}",
                          unit_of_measurement="°C", device_class="temperature")
        if kind == "binary_sensor":
            entity.update(device_class="motion", availability_topic=f"{base}/lwt")
        out[kind].append(entity)
    return out


def timed(fn: Any) -> float:
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    from integrations import mqtt

    figures: dict[str, Any] = {}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            directory = Path(tmp) / str(size)
            directory.mkdir()
            document = {"data_dir": str(directory / "data"), "mqtt": entities(size)}
            (directory / "configuration.yaml").write_text(yaml.safe_dump(document))
            assert check_config(directory, env={}) == []
            section = load_config(directory, env={}).integrations["mqtt"]
            check = timed(lambda d=directory: check_config(d, env={}))
            validate = timed(lambda s=section: mqtt.validate(s))
            figures[str(size)] = {"check_config_ms": round(check * 1000, 2),
                                  "validate_ms": round(validate * 1000, 2),
                                  "per_entity_us": round(validate / size * 1e6, 1)}
            rows.append((str(size), f"{check * 1000:.1f}", f"{validate * 1000:.1f}",
                         f"{validate / size * 1e6:.0f}"))
    report("mqtt_yaml_load", {"sizes": list(SIZES), "runs": RUNS,
                              "mix": "light, switch, sensor (template), binary_sensor"},
           figures, ("entities", "check_config ms", "validate ms", "per entity us"), rows)


if __name__ == "__main__":
    main()
