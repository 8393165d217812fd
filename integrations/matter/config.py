"""The `matter:` section of configuration.yaml.

    integrations:
      matter:
        url: ws://localhost:5580/ws   # python-matter-server / matterjs-server
        base_topic: matter            # state on <base>/<node>/<endpoint>
        commands: true                # accept commands on <base>/<node>/<endpoint>/set
        command_timeout: 10           # seconds a tool call waits for the server to accept
        max_message_bytes: 67108864   # the largest message read (all nodes at once)
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.located import Located, Problems, Section

DEFAULT_URL = "ws://localhost:5580/ws"
_OPTIONS = ("url", "base_topic", "commands", "command_timeout", "max_message_bytes")


@dataclass(frozen=True, slots=True)
class MatterConfig:
    url: str = DEFAULT_URL
    base_topic: str = "matter"
    commands: bool = True
    command_timeout: float = 10.0
    max_message_bytes: int = 64 * 1024 * 1024


def validate(raw: Located | None) -> MatterConfig:
    problems = Problems()
    section = Section(raw, problems, _OPTIONS)
    url = section.text("url", DEFAULT_URL)
    node = section.get("url")
    if node is not None and isinstance(node.value, str) and not url.startswith(
            ("ws://", "wss://")):
        problems.add(node, f"expected a WebSocket URL such as ws://localhost:5580/ws, "
                           f"got {node.describe()}")
    base_topic = section.text("base_topic", "matter")
    node = section.get("base_topic")
    if node is not None and isinstance(node.value, str) and (
            not base_topic or any(c in base_topic for c in "+#")
            or "" in base_topic.split("/")):
        problems.add(node, f"expected an MQTT topic without wildcards or empty levels, "
                           f"got {node.describe()}")
    config = MatterConfig(
        url=url, base_topic=base_topic, commands=section.flag("commands", True),
        command_timeout=section.number("command_timeout", 10.0, low=0, low_open=True,
                                       high=300),
        max_message_bytes=section.integer("max_message_bytes", 64 * 1024 * 1024,
                                          low=1024 * 1024, high=1024 * 1024 * 1024),
    )
    problems.raise_if_any()
    return config
