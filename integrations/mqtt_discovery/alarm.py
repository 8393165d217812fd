"""Alarm control panels, as Home Assistant's MQTT alarm_control_panel.

Each tool publishes its payload (`payload_arm_home` "ARM_HOME", `payload_arm_away`,
`payload_arm_night`, `payload_arm_vacation`, `payload_arm_custom_bypass`, `payload_disarm`
"DISARM", `payload_trigger` "TRIGGER") through `command_template` (default
``{{ action }}``, which also sees ``code``) on `command_topic`; `supported_features` narrows
the arm tools. A `code` is checked here, unless it is ``REMOTE_CODE`` or
``REMOTE_CODE_TEXT`` (the panel checks it: the caller's code is sent); `code_arm_required`,
`code_disarm_required`, `code_trigger_required` (all true) say when one is needed. The
state topic carries disarmed, armed_home, armed_away, armed_night, armed_vacation,
armed_custom_bypass, pending, triggered, arming or disarming; a call returns when the panel
reports where it went (or pending/arming on the way).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from hub.errors import ToolError
from hub.model import Tool, ToolResult
from integrations.mqtt_discovery.entity import Entity, select_tools
from integrations.mqtt_discovery.options import Options
from integrations.mqtt_discovery.payload import Payload
from integrations.mqtt_discovery.router import Handler

_STATES = ("disarmed", "armed_home", "armed_away", "armed_night", "armed_vacation",
           "armed_custom_bypass", "pending", "triggered", "arming", "disarming")
_TOOLS: Mapping[str, tuple[str | None, str, str, str]] = MappingProxyType({
    # tool -> (feature, payload key, default payload, state it ends in)
    "alarm_arm_home": ("arm_home", "payload_arm_home", "ARM_HOME", "armed_home"),
    "alarm_arm_away": ("arm_away", "payload_arm_away", "ARM_AWAY", "armed_away"),
    "alarm_arm_night": ("arm_night", "payload_arm_night", "ARM_NIGHT", "armed_night"),
    "alarm_arm_vacation": ("arm_vacation", "payload_arm_vacation", "ARM_VACATION",
                           "armed_vacation"),
    "alarm_arm_custom_bypass": ("arm_custom_bypass", "payload_arm_custom_bypass",
                                "ARM_CUSTOM_BYPASS", "armed_custom_bypass"),
    "alarm_trigger": ("trigger", "payload_trigger", "TRIGGER", "triggered"),
    "alarm_disarm": (None, "payload_disarm", "DISARM", "disarmed"),
})
_FEATURES = ("arm_home", "arm_away", "arm_night", "arm_vacation", "arm_custom_bypass",
             "trigger")
_REMOTE = ("REMOTE_CODE", "REMOTE_CODE_TEXT")


class AlarmPanel(Entity):
    domain = "alarm_control_panel"

    def configure(self, opts: Options) -> None:
        self.command_topic = opts.publish_topic("command_topic", required=True) or ""
        self.state_topic = opts.subscribe_topic("state_topic", required=True) or ""
        self.value_template = opts.template("value_template")
        self.command_template = opts.template("command_template")
        self.code = opts.optional_text("code")
        self.code_required = {
            "arm": opts.flag("code_arm_required", True),
            "disarm": opts.flag("code_disarm_required", True),
            "trigger": opts.flag("code_trigger_required", True),
        }
        features = opts.text_list("supported_features", _FEATURES)
        unknown = sorted(set(features) - set(_FEATURES))
        if unknown:
            raise opts.error("supported_features", f"unknown {', '.join(unknown)}; known: "
                             f"{', '.join(_FEATURES)}")
        self.features = frozenset(features)
        self.payloads = {tool: opts.text(key, default)
                         for tool, (_f, key, default, _e) in _TOOLS.items()}

    def attributes(self) -> dict[str, Any]:
        return {"code_format": None if self.code is None else (
            "text" if self.code == "REMOTE_CODE_TEXT" or not self.code.isdigit()
            else "number"), "supported_features": sorted(self.features)}

    def _tools(self) -> list[str]:
        return [tool for tool, (feature, _k, _d, _e) in _TOOLS.items()
                if feature is None or feature in self.features]

    def tools(self) -> tuple[Tool, ...]:
        return select_tools(self.domain, self._tools())

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        yield self.state_topic, self._on_state

    def _on_state(self, payload: Payload) -> None:
        self.choice_state(payload, self.value_template, _STATES)

    def _check_code(self, tool: str, code: Any) -> None:
        kind = ("disarm" if tool == "alarm_disarm" else
                "trigger" if tool == "alarm_trigger" else "arm")
        if self.code is None or self.code in _REMOTE or not self.code_required[kind]:
            if self.code in _REMOTE and self.code_required[kind] and not code:
                raise ToolError(f"{self.id}/{tool}: this panel needs a code")
            return
        if code != self.code:
            raise ToolError(f"{self.id}/{tool}: wrong or missing code")

    async def run(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        if tool not in self._tools():
            raise ToolError(f"{self.id}: tool {tool!r} is not supported by this panel")
        code = arguments.get("code")
        self._check_code(tool, code)
        action = self.payloads[tool]
        if self.command_template is None:
            payload = action
        else:
            payload = self.command_payload(self.command_template, action, action=action,
                                           code=code)
        end = _TOOLS[tool][3]
        on_the_way = ("pending", "arming", "disarming", "triggered")
        return await self.command(tool, [(self.command_topic, payload)],
                                  lambda s: s.get("state") in (end, *on_the_way))
