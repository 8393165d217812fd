"""Entities Zigbee2MQTT's Home Assistant discovery adds beyond one expose each.

- ``update``: a device whose firmware Zigbee2MQTT can update (`supports_ota`). Its state
  comes from the ``update`` key of the device's reports (``installed_version``,
  ``latest_version``, ``state`` ``available``/``updating``/``idle``, ``progress``);
  `install` asks the bridge (``bridge/request/device/ota_update/update`` with the device's
  IEEE address), as Home Assistant's install does. Category ``config``.
- ``siren``: a settable ``warning`` composite (IAS sirens). `turn_on` sends
  ``{"warning": {"mode": <tone, default emergency>, "level": <by volume_level: low up to
  0.25, medium up to 0.5, high up to 0.75, else very_high; medium without one>,
  "duration": <seconds, default 10>}}``, `turn_off` ``{"warning": {"mode": "stop"}}``:
  what Home Assistant sends through Zigbee2MQTT's discovery. Sirens report no state: the
  state is what was last sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from integrations.zigbee2mqtt import naming
from integrations.zigbee2mqtt.entity import (
    BadValue,
    Command,
    Context,
    Entity,
    describe,
    unconfirmed,
)
from integrations.zigbee2mqtt.exposes import Expose
from integrations.zigbee2mqtt.tools import enum, tool


class Update(Entity):
    __slots__ = ("_ieee", "_request")

    def __init__(self, ctx: Context) -> None:
        self._request = f"{ctx.base_topic}/bridge/request/device/ota_update/update"
        self._ieee = ctx.info.ieee_address
        capability = ctx.capability(
            "update", "", name=f"{ctx.name} firmware",
            tools=(tool("update", "install", ctx.tool_timeout, []),
                   tool("update", "get_state", ctx.tool_timeout)),
            attributes={"property": "update", "device_class": "firmware",
                        "entity_category": "config"})
        super().__init__(capability, {"update": _read_update}, ())

    def command(self, tool: str, args: Mapping[str, Any], state: Mapping[str, Any]) -> Command:
        if tool != "install":
            return super().command(tool, args, state)
        return Command({"id": self._ieee}, unconfirmed, topic=self._request)


def _read_update(value: Any, out: dict[str, Any]) -> None:
    if not isinstance(value, dict):
        raise BadValue(f"expected an object with installed_version and latest_version, "
                       f"got {describe(value)}")
    installed, latest = value.get("installed_version"), value.get("latest_version")
    out["installed_version"] = installed
    out["latest_version"] = latest
    out["in_progress"] = value.get("state") == "updating"
    progress = value.get("progress")
    out["update_percentage"] = progress if isinstance(progress, (int, float)) else None
    out["state"] = (None if installed is None or latest is None
                    else "on" if latest != installed else "off")


_LEVELS = ((0.25, "low"), (0.5, "medium"), (0.75, "high"))


class Siren(Entity):
    __slots__ = ("_prop",)

    def __init__(self, ctx: Context, expose: Expose) -> None:
        self._prop = expose.property
        mode, level = expose.feature("mode"), expose.feature("level")
        duration = expose.feature("duration")
        keep: list[str] = []
        schemas: dict[str, Any] = {}
        tones = [v for v in (mode.values if mode is not None else ()) if v != "stop"]
        if tones:
            schemas["tone"] = enum("A tone of the siren.", tones)
        if level is not None:
            keep.append("volume_level")
        if duration is not None:
            keep.append("duration")
        timeout = ctx.tool_timeout
        suffix = naming.slug(expose.endpoint)
        capability = ctx.capability(
            "siren", suffix, name=ctx.name if not suffix else f"{ctx.name} {suffix}",
            tools=(tool("siren", "turn_on", timeout, keep, schemas=schemas),
                   tool("siren", "turn_off", timeout),
                   tool("siren", "get_state", timeout)),
            attributes={"property": expose.property, "available_tones": tones or None})
        super().__init__(capability, {}, ())

    def command(self, tool: str, args: Mapping[str, Any], state: Mapping[str, Any]) -> Command:
        if tool == "turn_off":
            return Command({self._prop: {"mode": "stop"}}, unconfirmed)
        if tool != "turn_on":
            return super().command(tool, args, state)
        volume = args.get("volume_level")
        level = "medium"
        if volume is not None:
            level = next((name for top, name in _LEVELS if float(volume) <= top), "very_high")
        warning = {"mode": args.get("tone", "emergency"), "level": level,
                   "duration": args.get("duration", 10)}
        return Command({self._prop: warning}, unconfirmed)
