"""One value of a device with its own command and state topics (a fan's percentage, a
thermostat's target temperature): read once from the configuration, used by fans and
climate devices alike."""

from __future__ import annotations

from dataclasses import dataclass

from hub.templates import Template
from integrations.mqtt_discovery.options import Options


@dataclass(frozen=True, slots=True)
class Channel:
    key: str
    """The state key it sets (``percentage``, ``temperature``...)."""
    command: str | None = None
    command_template: Template | None = None
    state: str | None = None
    state_template: Template | None = None

    @property
    def settable(self) -> bool:
        return self.command is not None


def read_channel(opts: Options, key: str, prefix: str, *, command_template: str = "",
                 state_template: str = "") -> Channel:
    """`<prefix>_command_topic`, `<prefix>_command_template`, `<prefix>_state_topic` and
    the state template (named `<prefix>_value_template` unless told otherwise)."""
    return Channel(
        key=key,
        command=opts.publish_topic(f"{prefix}_command_topic"),
        command_template=opts.template(command_template or f"{prefix}_command_template"),
        state=opts.subscribe_topic(f"{prefix}_state_topic"),
        state_template=opts.template(state_template or f"{prefix}_value_template"),
    )
