"""Phrasing beyond plain commands (issue 11): wishes, polite questions that ask for action,
device classes, "should be closed", another song, oscillation undone."""

from __future__ import annotations

from typing import Any

import pytest

from hub.capfile import parse_capabilities
from hub.located import parse_yaml
from hub.routing.language import Resolver

HOME = """\
- {id: cover.hall_blinds, type: cover, name: Hall blinds, area: hallway, device_class: blind}
- {id: cover.terrace_awning, type: cover, name: Terrace awning, area: terrace, device_class: awning}
- {id: lock.front_door, type: lock, name: Front door lock, area: hallway}
- {id: binary_sensor.front_door, type: binary_sensor, name: Front entrance contact, area: hallway, device_class: door}
- {id: binary_sensor.back_door, type: binary_sensor, name: Back entrance contact, area: kitchen, device_class: door}
- {id: binary_sensor.sink_leak, type: binary_sensor, name: Under sink, area: kitchen, device_class: moisture}
- {id: vacuum.robbie, type: vacuum, name: Robbie, area: kitchen}
- {id: fan.desk, type: fan, name: Desk fan, area: office}
- {id: media_player.office_speaker, type: media_player, name: Office speaker, area: office}
- {id: light.office, type: light, name: Office light, area: office}
- {id: climate.living, type: climate, name: Living room thermostat, area: living room}
- {id: switch.pergola, type: switch, name: Shelly Pergola}
"""


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver(parse_capabilities(parse_yaml(HOME, file="home.yaml")))


CASES: list[tuple[str, str, list[str], dict[str, Any]]] = [
    ("the hall blinds should be closed", "cover.close_cover", ["cover.hall_blinds"], {}),
    ("bring the terrace awning in", "cover.close_cover", ["cover.terrace_awning"], {}),
    ("have the hall blinds closed", "cover.close_cover", ["cover.hall_blinds"], {}),
    ("is it possible to get robbie going?", "vacuum.start", ["vacuum.robbie"], {}),
    ("may I ask you to lock the front door?", "lock.lock", ["lock.front_door"], {}),
    ("the kitchen floor is filthy, robbie", "vacuum.start", ["vacuum.robbie"], {}),
    ("tell robbie to wait", "vacuum.pause", ["vacuum.robbie"], {}),
    ("switch to a different song in the office", "media_player.media_next_track",
     ["media_player.office_speaker"], {}),
    ("stop the desk fan from rotating", "fan.oscillate", ["fan.desk"], {"oscillating": False}),
    ("are any doors open?", "binary_sensor.get_state",
     ["binary_sensor.back_door", "binary_sensor.front_door"], {}),
    ("is the front door locked?", "lock.get_state", ["lock.front_door"], {}),
    ("any leaks?", "binary_sensor.get_state", ["binary_sensor.sink_leak"], {}),
    ("put the office light out", "light.turn_off", ["light.office"], {}),
    ("make sure the front door is locked", "lock.lock", ["lock.front_door"], {}),
    ("keep the thermostat between 18 and 22 degrees", "climate.set_temperature",
     ["climate.living"], {"target_temp_low": 18, "target_temp_high": 22}),
    ("thermostat: lowest 17, highest 23", "climate.set_temperature", ["climate.living"],
     {"target_temp_low": 17, "target_temp_high": 23}),
    ("put the thermostat in eco mode", "climate.set_preset_mode", ["climate.living"],
     {"preset_mode": "eco"}),
    ("set the thermostat fan to low", "climate.set_fan_mode", ["climate.living"],
     {"fan_mode": "low"}),
]  # fmt: skip


@pytest.mark.parametrize(("text", "tool", "targets", "args"), CASES)
def test_phrasing(
    resolver: Resolver, text: str, tool: str, targets: list[str], args: dict[str, Any]
) -> None:
    r = resolver.resolve(text)
    assert (f"{r.kind}.{r.tool}", sorted(r.targets), dict(r.args), r.outcome) == (
        tool, targets, args, "ok",
    )  # fmt: skip


WISHES: list[tuple[str, str, list[str], dict[str, Any]]] = [
    ("I'd like the hall blinds lowered", "cover.close_cover", ["cover.hall_blinds"], {}),
    ("get robbie recharged", "vacuum.return_to_base", ["vacuum.robbie"], {}),
    ("make the office light blink", "light.turn_on", ["light.office"], {"flash": "long"}),
    ("office light", "light.get_state", ["light.office"], {}),
    ("show me the state of the desk fan", "fan.get_state", ["fan.desk"], {}),
    # a switch that drives lights: the word that names it beats "every light"
    ("turn off the pergola lights", "switch.turn_off", ["switch.pergola"], {}),
]  # fmt: skip


@pytest.mark.parametrize(("text", "tool", "targets", "args"), WISHES)
def test_wishes_and_bare_devices(
    resolver: Resolver, text: str, tool: str, targets: list[str], args: dict[str, Any]
) -> None:
    r = resolver.resolve(text)
    assert (f"{r.kind}.{r.tool}", sorted(r.targets), dict(r.args)) == (tool, targets, args)


class _Meaning:
    """A stand-in embedder that knows only a few sentences (exact vectors, no model)."""

    def __init__(self) -> None:
        from hub.routing.language.phrasings import PHRASINGS

        self.axis: dict[str, int] = {}
        for actions in PHRASINGS.values():
            for texts in actions.values():
                for t in texts:
                    self.axis.setdefault(t, len(self.axis))

    def embed_one(self, text: str):  # type: ignore[no-untyped-def]
        import numpy as np

        from hub.routing.embedder import Vector

        values = np.zeros(len(self.axis) + 1, dtype=np.float32)
        # the utterance below "means" one vacuum phrasing; everything else is orthogonal
        values[self.axis.get(text, self.axis["the room needs a clean"]
                             if "sorting out" in text else len(self.axis))] = 1.0
        return Vector("test", values)


def test_no_verb_takes_the_action_of_the_nearest_phrasings() -> None:
    home = parse_capabilities(parse_yaml(HOME, file="home.yaml"))
    r = Resolver(home, embedder=_Meaning()).resolve("robbie, the kitchen floor wants sorting out")
    assert (r.kind, r.tool, r.targets) == ("vacuum", "start", ("vacuum.robbie",))
    assert any("closest tool by meaning" in reason for reason in r.reasons)


KITCHEN = """\
- {id: switch.coffee_machine, type: switch, name: Coffee machine, area: kitchen}
- {id: switch.kettle, type: switch, name: Kettle, area: kitchen}
- {id: switch.tv_plug, type: switch, name: TV socket, area: living room}
- {id: light.kitchen, type: light, name: Kitchen light, area: kitchen}
- {id: light.living, type: light, name: Living room lamp, area: living room}
- {id: fan.kitchen, type: fan, name: Kitchen fan, area: kitchen}
- {id: cover.living, type: cover, name: Living room blinds, area: living room}
"""


@pytest.fixture(scope="module")
def kitchen() -> Resolver:
    return Resolver(parse_capabilities(parse_yaml(KITCHEN, file="kitchen.yaml")))


@pytest.mark.parametrize(
    ("text", "tool", "targets", "args"),
    [
        ("make me a cappuccino", "switch.turn_on", ["switch.coffee_machine"], {}),
        ("boil the kettle", "switch.turn_on", ["switch.kettle"], {}),
        ("turn off all the switches", "switch.turn_off",
         ["switch.coffee_machine", "switch.kettle", "switch.tv_plug"], {}),
        ("power down the socket in the living room", "switch.turn_off", ["switch.tv_plug"], {}),
        ("lights up in the kitchen", "light.turn_on", ["light.kitchen"],
         {"brightness_step_pct": 10}),
        ("the kitchen is a bit dark", "light.turn_on", ["light.kitchen"], {}),
        ("turn off the kitchen light and the fan", "homeassistant.turn_off",
         ["fan.kitchen", "light.kitchen"], {}),
    ],
)  # fmt: skip
def test_products_plugs_plurals_and_relative_wishes(
    kitchen: Resolver, text: str, tool: str, targets: list[str], args: dict[str, Any]
) -> None:
    r = kitchen.resolve(text)
    assert (f"{r.kind}.{r.tool}", sorted(r.targets), dict(r.args), r.outcome) == (
        tool, targets, args, "ok",
    )  # fmt: skip


def test_two_commands_in_one_sentence(kitchen: Resolver) -> None:
    r = kitchen.resolve("turn on the kitchen light and close the living room blinds")
    assert (r.kind, r.tool, r.targets, r.outcome) == ("light", "turn_on", ("light.kitchen",), "ok")
    [second] = r.also
    assert (second.kind, second.tool, second.targets) == (
        "cover", "close_cover", ("cover.living",),
    )  # fmt: skip
    assert r.as_json()["also"][0]["tool"] == "close_cover"
    half = kitchen.resolve("turn on the kitchen light and open the garage")
    assert half.outcome == "unsure"
    assert half.reasons[0].startswith("2 commands in one sentence; 'open the garage': ")


def test_a_colour_change_with_no_colour_asks_which(kitchen: Resolver) -> None:
    r = kitchen.resolve("change the colour of the kitchen light")
    assert (r.tool, r.outcome, r.reasons[0]) == ("turn_on", "unsure", "which colour? none was named")


def test_kept_from_oscillating(resolver: Resolver) -> None:
    r = resolver.resolve("keep the desk fan from swinging")
    assert (r.tool, dict(r.args)) == ("oscillate", {"oscillating": False})
    r = resolver.resolve("prevent the desk fan from rotating")
    assert (r.tool, dict(r.args)) == ("oscillate", {"oscillating": False})
