"""The simulated Zigbee devices, as Zigbee2MQTT describes them and as they behave.

Each device has the entry Zigbee2MQTT lists for it on ``bridge/devices`` (the exposes of
its definition tell a consumer what it can read and set), the state Zigbee2MQTT publishes
for it, and what it does with a ``/set`` command. MQTT is the bridge's business
(`integrations.demo.zigbee`); these classes only hold state.

Friendly names are structured the way Zigbee2MQTT's documentation suggests
(``kitchen/light``), so a consumer can read the area from the first level.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_ON_OFF = ("ON", "OFF")
MIRED_MIN, MIRED_MAX = 153, 500
"""The light's colour temperature range: 6500 K to 2000 K."""
_PRESETS = {"coolest": MIRED_MIN, "cool": 250, "neutral": 370, "warm": 454,
            "warmest": MIRED_MAX}
"""Names Zigbee2MQTT accepts for `color_temp` besides mireds."""


def _binary(name: str, label: str, access: int, on: Any, off: Any,
            description: str, toggle: Any = None) -> dict[str, Any]:
    expose = {"type": "binary", "name": name, "label": label, "property": name,
              "access": access, "value_on": on, "value_off": off, "description": description}
    if toggle is not None:
        expose["value_toggle"] = toggle
    return expose


def _numeric(name: str, label: str, access: int, description: str, *, unit: str = "",
             low: float | None = None, high: float | None = None,
             category: str = "") -> dict[str, Any]:
    expose: dict[str, Any] = {"type": "numeric", "name": name, "label": label,
                              "property": name, "access": access, "description": description}
    if unit:
        expose["unit"] = unit
    if low is not None:
        expose["value_min"] = low
    if high is not None:
        expose["value_max"] = high
    if category:
        expose["category"] = category
    return expose


def _linkquality() -> dict[str, Any]:
    return _numeric("linkquality", "Linkquality", 1, "Link quality (signal strength)",
                    unit="lqi", low=0, high=255, category="diagnostic")


def _entry(ieee: str, name: str, kind: str, power: str, description: str, model: str,
           model_description: str, exposes: list[dict[str, Any]]) -> dict[str, Any]:
    """One element of ``bridge/devices``, with the keys Zigbee2MQTT gives every device."""
    return {
        "ieee_address": ieee, "type": kind, "network_address": int(ieee[-4:], 16),
        "supported": True, "friendly_name": name, "description": description,
        "disabled": False, "interview_completed": True, "interviewing": False,
        "power_source": power, "manufacturer": "Atmosphere", "model_id": model,
        "software_build_id": "1.0.0", "date_code": "20250101",
        "definition": {"model": model, "vendor": "Atmosphere",
                       "description": model_description, "exposes": exposes,
                       "options": [], "supports_ota": False},
        "endpoints": {"1": {"bindings": [], "configured_reportings": [], "scenes": [],
                            "clusters": {"input": ["genBasic"], "output": []}}},
    }


def coordinator_entry(ieee: str) -> dict[str, Any]:
    """The coordinator: always first in ``bridge/devices``, with no definition."""
    return {"ieee_address": ieee, "type": "Coordinator", "network_address": 0,
            "supported": True, "friendly_name": "Coordinator", "disabled": False,
            "definition": None, "interview_completed": True, "interviewing": False,
            "endpoints": {"1": {"bindings": [], "configured_reportings": [], "scenes": [],
                                "clusters": {"input": [], "output": []}}}}


@dataclass
class SimLight:
    """A dimmable white-spectrum bulb (on/off, brightness 0..254, colour temperature)."""

    friendly_name: str = "kitchen/light"
    ieee_address: str = "0x00124b00a1c3e501"
    state: dict[str, Any] = field(default_factory=lambda: {
        "state": "OFF", "brightness": 254, "color_temp": 370, "color_mode": "color_temp",
        "linkquality": 132})

    def entry(self) -> dict[str, Any]:
        light = {"type": "light", "features": [
            _binary("state", "State", 7, "ON", "OFF", "On/off state of this light",
                    toggle="TOGGLE"),
            _numeric("brightness", "Brightness", 7, "Brightness of this light", low=0,
                     high=254),
            _numeric("color_temp", "Color temp", 7, "Color temperature of this light",
                     unit="mired", low=MIRED_MIN, high=MIRED_MAX),
        ]}
        effect = {"type": "enum", "name": "effect", "label": "Effect", "property": "effect",
                  "access": 2, "values": ["blink", "breathe", "okay", "stop_effect"],
                  "description": "Triggers an effect on the light (e.g. make light blink "
                                 "for a few seconds)"}
        return _entry(self.ieee_address, self.friendly_name, "Router", "Mains (single phase)",
                      "Ceiling light above the kitchen table (simulated)", "DEMO-CT-1",
                      "Simulated white spectrum bulb, 2000-6500 K",
                      [light, effect, _linkquality()])

    def apply(self, command: Mapping[str, Any]) -> float | None:
        """Carry out a ``/set`` command the way the bulb would; returns the seconds of a
        timed on (``on_time``) after which it turns itself off, if one was asked for."""
        state = self.state
        asked = command.get("state")
        if isinstance(asked, str):
            upper = asked.upper()
            if upper == "TOGGLE":
                upper = "OFF" if state["state"] == "ON" else "ON"
            if upper in _ON_OFF:
                state["state"] = upper
        brightness = command.get("brightness")
        if isinstance(brightness, (int, float)) and not isinstance(brightness, bool):
            level = max(0, min(254, round(brightness)))
            if level == 0:
                state["state"] = "OFF"  # a bulb dimmed to nothing is off, at its last level
            else:
                state["brightness"] = level
                state["state"] = "ON"
        mired = command.get("color_temp")
        if isinstance(mired, str):
            mired = _PRESETS.get(mired)
        if isinstance(mired, (int, float)) and not isinstance(mired, bool):
            state["color_temp"] = max(MIRED_MIN, min(MIRED_MAX, round(mired)))
            state["color_mode"] = "color_temp"
        on_time = command.get("on_time")
        if (isinstance(on_time, (int, float)) and not isinstance(on_time, bool)
                and on_time > 0 and state["state"] == "ON"):
            return float(on_time)
        return None  # `transition` and `effect` change nothing the bulb reports

    def report(self) -> dict[str, Any]:
        return dict(self.state)


@dataclass
class SimMotion:
    """A battery occupancy sensor that also measures light."""

    friendly_name: str = "hallway/motion"
    ieee_address: str = "0x00158d00a1c3e502"
    rng: random.Random = field(default_factory=random.Random)
    state: dict[str, Any] = field(default_factory=lambda: {
        "occupancy": False, "illuminance": 140, "battery": 97, "voltage": 3005,
        "linkquality": 96})

    def entry(self) -> dict[str, Any]:
        exposes = [
            _binary("occupancy", "Occupancy", 1, True, False,
                    "Indicates whether the device detected occupancy"),
            _numeric("illuminance", "Illuminance", 1, "Measured illuminance", unit="lx",
                     low=0),
            _numeric("battery", "Battery", 1, "Remaining battery in %", unit="%", low=0,
                     high=100, category="diagnostic"),
            _numeric("voltage", "Voltage", 1, "Voltage of the battery in millivolts",
                     unit="mV", category="diagnostic"),
            _linkquality(),
        ]
        return _entry(self.ieee_address, self.friendly_name, "EndDevice", "Battery",
                      "Motion sensor in the hallway (simulated)", "DEMO-PIR-1",
                      "Simulated motion sensor with illuminance", exposes)

    def sense(self, occupancy: bool) -> dict[str, Any]:
        """The report the sensor sends when occupancy changes; daylight drifts a little."""
        light = self.state["illuminance"] + self.rng.randint(-10, 10)
        self.state.update(occupancy=occupancy, illuminance=max(0, min(400, light)))
        return dict(self.state)

    def report(self) -> dict[str, Any]:
        return dict(self.state)
