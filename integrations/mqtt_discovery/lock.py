"""Locks: lock, unlock and (when the device has `payload_open`) open the latch.

State follows Home Assistant: ``locked``, ``unlocked``, ``locking``, ``unlocking``,
``jammed``, ``open``, ``opening``. A call is confirmed when the lock reports where it ended
(locked, unlocked or open); a jammed report fails the call at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from hub.errors import ToolError
from hub.model import Tool, ToolResult
from integrations.mqtt_discovery.entity import Entity, select_tools
from integrations.mqtt_discovery.options import Options
from integrations.mqtt_discovery.payload import Payload
from integrations.mqtt_discovery.router import Handler

_ENDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"lock": ("locked",), "unlock": ("unlocked", "open"), "open": ("open", "unlocked")})
"""Where each tool ends: the states that confirm it."""


class Lock(Entity):
    domain = "lock"

    def configure(self, opts: Options) -> None:
        self.command_topic = opts.publish_topic("command_topic", required=True) or ""
        self.state_topic = opts.subscribe_topic("state_topic")
        self.value_template = opts.template("value_template")
        self.command_template = opts.template("command_template")
        self.payloads = {"lock": opts.text("payload_lock", "LOCK"),
                         "unlock": opts.text("payload_unlock", "UNLOCK")}
        payload_open = opts.optional_text("payload_open")
        if payload_open is not None:
            self.payloads["open"] = payload_open
        self.states = {
            opts.text("state_locked", "LOCKED"): "locked",
            opts.text("state_unlocked", "UNLOCKED"): "unlocked",
            opts.text("state_locking", "LOCKING"): "locking",
            opts.text("state_unlocking", "UNLOCKING"): "unlocking",
            opts.text("state_jammed", "JAMMED"): "jammed",
            opts.text("state_open", "OPEN"): "open",
            opts.text("state_opening", "OPENING"): "opening",
        }
        code_format = opts.optional_text("code_format")
        try:
            self.code_format = re.compile(code_format) if code_format else None
        except re.error as exc:
            raise opts.error("code_format", f"not a regular expression: {exc}") from None
        self.optimistic = opts.flag("optimistic", self.state_topic is None)

    def attributes(self) -> dict[str, Any]:
        return {"code_required": self.code_format is not None or None}

    def tools(self) -> tuple[Tool, ...]:
        return select_tools(self.domain, self.payloads)

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        if self.state_topic is not None:
            yield self.state_topic, self._on_state

    def _on_state(self, payload: Payload) -> None:
        state = self.state_of(payload, self.value_template, self.states)
        if state is not None:
            self.update({"state": state})

    async def run(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        payload = self.payloads.get(tool)
        if payload is None:
            raise ToolError(f"{self.id}: tool {tool!r} is not supported by this lock")
        code = arguments.get("code")
        if self.code_format is not None and (
                not isinstance(code, str) or not self.code_format.fullmatch(code)):
            raise ToolError(f"{self.id}/{tool}: this lock needs a code matching "
                            f"{self.code_format.pattern!r}")
        sends = [(self.command_topic,
                  self.command_payload(self.command_template, payload, code=code))]
        ends = _ENDS[tool]
        if self.optimistic:
            return await self.command(tool, sends, None, {"state": ends[0]})
        result = await self.command(
            tool, sends, lambda s: s.get("state") in ends or s.get("state") == "jammed")
        if self.current().get("state") == "jammed":
            raise ToolError(f"{self.id}/{tool}: the lock reports it is jammed")
        return result
