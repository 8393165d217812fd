"""Valves, as Home Assistant's MQTT valve platform.

Two kinds, by `reports_position`:

- on/off valves (default): `open_valve`/`close_valve` publish `payload_open` ("OPEN") and
  `payload_close` ("CLOSE"), `stop_valve` `payload_stop` (when given); the state topic
  carries `state_open` ("open"), `state_opening`, `state_closed` ("closed"),
  `state_closing`;
- position valves: `set_valve_position` publishes the position scaled from 0..100 to
  `position_closed`..`position_open` (0..100); `open_valve`/`close_valve` publish
  `position_open`/`position_closed`; the state topic carries a position (or a state).

Either may report JSON ``{"state": ..., "position": ...}``. `command_template` gets the
payload as ``value`` (and ``position_open``/``position_closed``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hub.errors import PayloadError, ToolError
from hub.model import Tool, ToolResult
from integrations.mqtt_discovery.entity import UNKNOWN, Entity, near, select_tools
from integrations.mqtt_discovery.options import Options
from integrations.mqtt_discovery.payload import Payload
from integrations.mqtt_discovery.router import Handler


class Valve(Entity):
    domain = "valve"
    STATE_KEYS = frozenset({"state", "current_position"})

    def configure(self, opts: Options) -> None:
        self.command_topic = opts.publish_topic("command_topic")
        self.state_topic = opts.subscribe_topic("state_topic")
        self.value_template = opts.template("value_template")
        self.command_template = opts.template("command_template")
        self.reports_position = opts.flag("reports_position", False)
        self.position_open = opts.integer("position_open", 100)
        self.position_closed = opts.integer("position_closed", 0)
        if self.position_open == self.position_closed:
            raise opts.error("position_open", "must differ from position_closed")
        if self.reports_position and ("payload_open" in opts or "payload_close" in opts):
            raise opts.error("payload_open", "not allowed with reports_position: a position "
                             "valve is sent positions")
        self.payload_open = (None if opts.is_null("payload_open")
                             else opts.text("payload_open", "OPEN"))
        self.payload_close = (None if opts.is_null("payload_close")
                              else opts.text("payload_close", "CLOSE"))
        self.payload_stop = opts.optional_text("payload_stop")
        self.states = {
            opts.text("state_open", "open"): "open",
            opts.text("state_opening", "opening"): "opening",
            opts.text("state_closed", "closed"): "closed",
            opts.text("state_closing", "closing"): "closing",
        }
        self.optimistic = opts.flag("optimistic", self.state_topic is None)
        self.device_class = opts.optional_text("device_class")

    def attributes(self) -> dict[str, Any]:
        return {"device_class": self.device_class,
                "reports_position": self.reports_position or None}

    def tools(self) -> tuple[Tool, ...]:
        if self.command_topic is None:
            return select_tools(self.domain, ())
        keep = ["toggle"]
        if self.reports_position:
            keep += ["open_valve", "close_valve", "set_valve_position"]
        else:
            keep += [name for name, payload in (("open_valve", self.payload_open),
                                                ("close_valve", self.payload_close))
                     if payload is not None]
        if self.payload_stop is not None:
            keep.append("stop_valve")
        return select_tools(self.domain, keep)

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        if self.state_topic is not None:
            yield self.state_topic, self._on_state

    # -- state -----------------------------------------------------------------------------

    def _percent(self, raw: float) -> int:
        low, high = self.position_closed, self.position_open
        return round(min(100.0, max(0.0, (raw - low) * 100 / (high - low))))

    def _on_state(self, payload: Payload) -> None:
        text = self.value(payload, self.value_template)
        if text in UNKNOWN:
            self.update({"state": None})
            return
        changes: dict[str, Any] = {}
        if text.lstrip().startswith("{"):
            data = Payload(payload.topic, text.encode(), payload.retain).json_object()
            state, position = data.get("state"), data.get("position")
        elif text in self.states:
            state, position = text, None
        else:
            state, position = None, text
        if state is not None:
            if state not in self.states:
                raise PayloadError(f"{payload.topic}: state {str(state)[:40]!r} is not one of "
                                   f"{', '.join(self.states)}")
            changes["state"] = self.states[state]
        if position is not None:
            if not self.reports_position:
                raise PayloadError(f"{payload.topic}: expected one of "
                                   f"{', '.join(self.states)}, got {str(position)[:40]!r}")
            try:
                value = float(position)
            except (TypeError, ValueError):
                raise PayloadError(f"{payload.topic}: expected a position, got "
                                   f"{str(position)[:40]!r}") from None
            percent = self._percent(value)
            changes["current_position"] = percent
            changes.setdefault("state", "closed" if percent == 0 else "open")
        self.update(changes)

    # -- tools -----------------------------------------------------------------------------

    async def run(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        if self.command_topic is None:
            raise ToolError(f"{self.id}: tool {tool!r} is not supported (no command topic)")
        if tool == "toggle":
            opened = self.current().get("state") in ("open", "opening")
            tool = "close_valve" if opened else "open_valve"
        if self.reports_position and tool in ("open_valve", "close_valve",
                                              "set_valve_position"):
            percent = {"open_valve": 100, "close_valve": 0}.get(tool)
            if percent is None:
                percent = int(arguments["position"])
            low, high = self.position_closed, self.position_open
            raw = round(low + (high - low) * percent / 100)
            payload = self._render(raw, position=percent)
            expect = None if self.optimistic else near(percent, 1)
            return await self.change(tool, [(self.command_topic, payload)],
                                     {"current_position": expect} if expect else {},
                                     {"current_position": percent,
                                      "state": "closed" if percent == 0 else "open"})
        payloads = {"open_valve": (self.payload_open, "open"),
                    "close_valve": (self.payload_close, "closed"),
                    "stop_valve": (self.payload_stop, None)}
        wanted = payloads.get(tool)
        if wanted is None or wanted[0] is None:
            raise ToolError(f"{self.id}: tool {tool!r} is not supported by this valve")
        payload_text, end = wanted
        payload = self._render(payload_text)
        if end is None or self.optimistic:
            return await self.command(tool, [(self.command_topic, payload)], None,
                                      {"state": end} if end else None)
        moving = "opening" if end == "open" else "closing"
        return await self.command(tool, [(self.command_topic, payload)],
                                  lambda s: s.get("state") in (end, moving))

    def _render(self, value: Any, **extra: Any) -> str:
        return self.command_payload(self.command_template, value,
                                    position_open=self.position_open,
                                    position_closed=self.position_closed, **extra)
