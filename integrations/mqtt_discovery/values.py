"""Entities that hold one value a caller sets: `select`, `number`, `text`.

Each reads `state_topic` (through `value_template`) and publishes the new value on
`command_topic` (through `command_template`), as Home Assistant's MQTT platforms do:

- select: `options` (required); a reported option not in the list is bad input;
- number: `min` (1), `max` (100), `step` (1), `mode`, `unit_of_measurement`,
  `device_class`, `payload_reset` ("None"); a whole value goes out without ``.0``
  (``21``, not ``21.0``); a value outside min..max is refused before anything is sent;
- text: `min` (0) and `max` (255) length, `pattern` (a regular expression the whole text
  must match), `mode` (text or password).

Without a state topic (or with `optimistic: true`) the value is recorded as sent; else a call
returns when the device reports it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from hub.errors import PayloadError, ToolError
from hub.model import Tool, ToolResult
from integrations.mqtt_discovery.entity import UNKNOWN, Entity, equals, near, select_tools
from integrations.mqtt_discovery.options import Options
from integrations.mqtt_discovery.payload import Payload
from integrations.mqtt_discovery.router import Handler


class _ValueEntity(Entity):
    """What the three share: topics, templates, optimism."""

    def configure(self, opts: Options) -> None:
        self.command_topic = opts.publish_topic("command_topic", required=True) or ""
        self.state_topic = opts.subscribe_topic("state_topic")
        self.value_template = opts.template("value_template")
        self.command_template = opts.template("command_template")
        self.optimistic = opts.flag("optimistic", self.state_topic is None)
        self.configure_value(opts)

    def configure_value(self, opts: Options) -> None:
        """The platform's own options."""

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        if self.state_topic is not None:
            yield self.state_topic, self._on_state

    def _on_state(self, payload: Payload) -> None:
        text = self.value(payload, self.value_template)
        if text in UNKNOWN:
            self.update({"state": None})
            return
        self.update({"state": self.read(payload, text)})

    def read(self, payload: Payload, text: str) -> Any:
        """The state a reported text stands for; PayloadError when it is not one."""
        return text

    async def send(self, tool: str, value: Any, sent: Any, check: Any) -> ToolResult:
        payload = self.command_payload(self.command_template, sent)
        return await self.change(tool, [(self.command_topic, payload)],
                                 {"state": check}, {"state": value})


class Select(_ValueEntity):
    domain = "select"

    def configure_value(self, opts: Options) -> None:
        self.options = opts.text_list("options")
        if not self.options:
            raise opts.error("options", "missing; a select needs its list of options")

    def attributes(self) -> dict[str, Any]:
        return {"options": list(self.options), "entity_category": self.entity_category}

    def tools(self) -> tuple[Tool, ...]:
        return _with_enum(select_tools(self.domain), "select_option", "option",
                          self.options)

    def read(self, payload: Payload, text: str) -> Any:
        if text not in self.options:
            raise PayloadError(f"{payload.topic}: {text[:40]!r} is not one of the options "
                               f"{', '.join(self.options)}")
        return text

    async def run(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        options = self.options
        current = self.current().get("state")
        index = options.index(current) if current in options else None
        cycle = bool(arguments.get("cycle", True))
        if tool == "select_option":
            option = str(arguments["option"])
            if option not in options:
                raise ToolError(f"{self.id}/select_option: {option!r} is not an option; "
                                f"choose one of {', '.join(options)}")
        elif tool == "select_first":
            option = options[0]
        elif tool == "select_last":
            option = options[-1]
        elif tool in ("select_next", "select_previous"):
            step = 1 if tool == "select_next" else -1
            if index is None:
                option = options[0] if step == 1 else options[-1]
            elif cycle:
                option = options[(index + step) % len(options)]
            else:
                option = options[min(len(options) - 1, max(0, index + step))]
        else:
            raise ToolError(f"{self.id}: tool {tool!r} is not supported")
        return await self.send(tool, option, option, equals(option))


class Number(_ValueEntity):
    domain = "number"

    def configure_value(self, opts: Options) -> None:
        self.low = opts.number("min", 1.0)
        self.high = opts.number("max", 100.0)
        if self.low >= self.high:
            raise opts.error("max", f"must be greater than min ({self.low:g}), got "
                             f"{self.high:g}")
        self.step = opts.number("step", 1.0, low=0.001)
        self.mode = opts.choice("mode", "auto", ("auto", "box", "slider"))
        self.unit = opts.optional_text("unit_of_measurement")
        self.device_class = opts.optional_text("device_class")
        self.payload_reset = opts.text("payload_reset", "None")

    def attributes(self) -> dict[str, Any]:
        return {"min": self.low, "max": self.high, "step": self.step, "mode": self.mode,
                "unit_of_measurement": self.unit, "device_class": self.device_class,
                "entity_category": self.entity_category}

    def tools(self) -> tuple[Tool, ...]:
        tools = []
        for tool in select_tools(self.domain):
            if tool.name == "set_value":
                tool = _with_value(tool, {"type": "number", "minimum": self.low,
                                          "maximum": self.high,
                                          "description": f"{self.low:g}..{self.high:g}"
                                          + (f" {self.unit}" if self.unit else "")})
            tools.append(tool)
        return tuple(tools)

    def _on_state(self, payload: Payload) -> None:
        text = self.value(payload, self.value_template)
        if text == self.payload_reset:
            self.update({"state": None})
            return
        super()._on_state(payload)

    def read(self, payload: Payload, text: str) -> Any:
        try:
            value: float = int(text) if text.isdigit() else float(text)
        except ValueError:
            raise PayloadError(f"{payload.topic}: expected a number, got {text[:40]!r}") from None
        if math.isnan(value) or not self.low <= value <= self.high:
            raise PayloadError(f"{payload.topic}: {text[:40]} is outside "
                               f"{self.low:g}..{self.high:g}")
        return value

    async def run(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        if tool != "set_value":
            raise ToolError(f"{self.id}: tool {tool!r} is not supported")
        value = float(arguments["value"])
        if not self.low <= value <= self.high:
            raise ToolError(f"{self.id}/set_value: {value:g} is outside the valid range "
                            f"{self.low:g}..{self.high:g}")
        sent: float = int(value) if value.is_integer() else value
        return await self.send(tool, sent, sent, near(value, self.step / 2))


class Text(_ValueEntity):
    domain = "text"

    def configure_value(self, opts: Options) -> None:
        self.low = opts.integer("min", 0, low=0, high=255)
        self.high = opts.integer("max", 255, low=1, high=255)
        if self.low > self.high:
            raise opts.error("max", f"must be at least min ({self.low}), got {self.high}")
        self.mode = opts.choice("mode", "text", ("text", "password"))
        pattern = opts.optional_text("pattern")
        try:
            self.pattern = re.compile(pattern) if pattern else None
        except re.error as exc:
            raise opts.error("pattern", f"not a regular expression: {exc}") from None

    def attributes(self) -> dict[str, Any]:
        return {"min": self.low, "max": self.high, "mode": self.mode,
                "pattern": self.pattern.pattern if self.pattern else None,
                "entity_category": self.entity_category}

    def tools(self) -> tuple[Tool, ...]:
        schema: dict[str, Any] = {"type": "string", "minLength": self.low,
                                  "maxLength": self.high, "description": "The new text."}
        if self.pattern is not None:
            schema["pattern"] = self.pattern.pattern
        return tuple(_with_value(t, schema) if t.name == "set_value" else t
                     for t in select_tools(self.domain))

    def _problem(self, text: str) -> str | None:
        if not self.low <= len(text) <= self.high:
            return f"is {len(text)} characters long, not {self.low}..{self.high}"
        if self.pattern is not None and not self.pattern.fullmatch(text):
            return f"does not match the pattern {self.pattern.pattern!r}"
        return None

    def read(self, payload: Payload, text: str) -> Any:
        problem = self._problem(text)
        if problem is not None:
            raise PayloadError(f"{payload.topic}: the text {text[:40]!r} {problem}")
        return text

    def _on_state(self, payload: Payload) -> None:
        text = self.value(payload, self.value_template)
        self.update({"state": self.read(payload, text)})  # "" is a text, not "unknown"

    async def run(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        if tool != "set_value":
            raise ToolError(f"{self.id}: tool {tool!r} is not supported")
        text = str(arguments["value"])
        problem = self._problem(text)
        if problem is not None:
            raise ToolError(f"{self.id}/set_value: the text {problem}")
        return await self.send(tool, text, text, equals(text))


def _with_value(tool: Tool, schema: Mapping[str, Any]) -> Tool:
    params = dict(tool.parameters)
    props = dict(params.get("properties", {}))
    props["value"] = MappingProxyType(dict(schema))
    params["properties"] = MappingProxyType(props)
    return Tool(tool.name, tool.description, MappingProxyType(params), tool.result,
                tool.timeout)


def _with_enum(tools: tuple[Tool, ...], name: str, field: str,
               values: Iterable[str]) -> tuple[Tool, ...]:
    out = []
    for tool in tools:
        if tool.name == name:
            params = dict(tool.parameters)
            props = dict(params.get("properties", {}))
            props[field] = MappingProxyType({**props[field], "enum": list(values)})
            params["properties"] = MappingProxyType(props)
            tool = Tool(tool.name, tool.description, MappingProxyType(params), tool.result,
                        tool.timeout)
        out.append(tool)
    return tuple(out)
