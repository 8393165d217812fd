"""Building hub configurations for tests: a real configuration.yaml in a temporary folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.broker import free_port


def write_config(directory: Path, **sections: Any) -> Path:
    """Write `configuration.yaml` with a data dir inside `directory`; returns the config dir."""
    config_dir = directory / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    document: dict[str, Any] = {"name": "test-hub", "data_dir": str(directory / "data"),
                                "http": {"host": "127.0.0.1", "port": free_port()}}
    document.update(sections)
    (config_dir / "configuration.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return config_dir


def demo_section(prefix: str, **options: Any) -> dict[str, Any]:
    """The demo integration under a per-test prefix on a shared broker: its Zigbee2MQTT base
    topic, discovery prefix and Frigate prefix are all `<prefix>/demo/...`."""
    return {"topic_prefix": f"{prefix}/demo", **options}


def hub_config(directory: Path, host: str, port: int, **sections: Any) -> Any:
    from hub.config import load_config

    return load_config(write_config(directory, mqtt={"host": host, "port": port}, **sections))
