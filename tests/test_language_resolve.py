"""Language to tool against the labelled set's home (tests/data/routing/devices.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub.capfile import load_capability_file
from hub.model import Capability
from hub.routing.language import AREA_WIDE_KIND, Resolution, Resolver, resolve

DEVICES = Path(__file__).parent / "data" / "routing" / "devices.yaml"
KITCHEN_LIGHTS = ("light.kitchen_ceiling", "light.kitchen_counter")
BEDROOM_LIGHTS = ("light.bedside_lamp", "light.bedroom_ceiling")


@pytest.fixture(scope="module")
def capabilities() -> tuple[Capability, ...]:
    return load_capability_file(DEVICES, source="test")


@pytest.fixture(scope="module")
def resolver(capabilities: tuple[Capability, ...]) -> Resolver:
    return Resolver(capabilities)


def ask(resolver: Resolver, text: str, area: str | None = None) -> Resolution:
    return resolver.resolve(text, {"area": area} if area else None)


def test_the_issue_examples(resolver: Resolver) -> None:
    r = ask(resolver, "dim the kitchen lights to 30%")
    assert (r.kind, r.tool, set(r.targets), dict(r.args)) == (
        "light",
        "turn_on",
        set(KITCHEN_LIGHTS),
        {"brightness_pct": 30},
    )
    r = ask(resolver, "is the front door locked?")
    assert (r.kind, r.tool, r.targets, dict(r.args)) == (
        "lock",
        "get_state",
        ("lock.front_door",),
        {},
    )
    r = ask(resolver, "turn off everything in the bedroom")
    assert (r.kind, r.tool) == (AREA_WIDE_KIND, "turn_off")
    assert set(r.targets) == {*BEDROOM_LIGHTS, "fan.bedroom_ceiling_fan",
                              "media_player.bedroom_speaker"}  # fmt: skip
    r = ask(resolver, "who can describe this photo?")
    assert (r.kind, r.tool, r.targets) == ("vision/describe", "describe", ("ai.captioner",))


@pytest.mark.parametrize(
    ("first", "second", "tools"),
    [
        ("turn on the desk lamp", "turn off the desk lamp", ("turn_on", "turn_off")),
        ("switch the kettle on", "switch the kettle off", ("turn_on", "turn_off")),
        ("open the garage door", "close the garage door", ("open_cover", "close_cover")),
        ("lock the back door", "unlock the back door", ("lock", "unlock")),
        ("play the tv", "pause the tv", ("media_play", "media_pause")),
        ("turn up the kitchen speaker", "turn down the kitchen speaker",
         ("volume_up", "volume_down")),
        ("arm the house alarm", "disarm the house alarm", ("alarm_arm_away", "alarm_disarm")),
        ("start the robot vacuum", "send the robot vacuum to its dock",
         ("start", "return_to_base")),
        ("speed up the desk fan", "slow down the desk fan", ("increase_speed", "decrease_speed")),
    ],
)  # fmt: skip
def test_opposites_come_out_opposite(
    resolver: Resolver, first: str, second: str, tools: tuple[str, str]
) -> None:
    assert (ask(resolver, first).tool, ask(resolver, second).tool) == tools


def test_brighter_and_dimmer_step_in_opposite_directions(resolver: Resolver) -> None:
    up = ask(resolver, "make the floor lamp brighter")
    down = ask(resolver, "make the floor lamp dimmer")
    assert dict(up.args) == {"brightness_step_pct": 10}
    assert dict(down.args) == {"brightness_step_pct": -10}


def test_the_opposite_is_listed_with_a_low_score(resolver: Resolver) -> None:
    r = ask(resolver, "unlock the front door")
    assert r.candidates[0].tool == "unlock"
    opposite = next(c for c in r.candidates if c.tool == "lock")
    assert opposite.score < 0.2 < r.score
    assert "opposite" in opposite.reason


def test_a_question_reads_state_and_a_command_acts(resolver: Resolver) -> None:
    assert ask(resolver, "is the heating on?").tool == "get_state"
    assert ask(resolver, "could you turn the heating on?").tool == "turn_on"
    assert ask(resolver, "did I lock the back door").tool == "get_state"
    assert ask(resolver, "make sure the back door is locked").tool == "lock"
    # The command clause decides when a question comes first.
    assert ask(resolver, "where is the robot vacuum? make it beep").tool == "locate"


def test_the_requesters_area(resolver: Resolver) -> None:
    assert set(ask(resolver, "turn the lights on", "bedroom").targets) == set(BEDROOM_LIGHTS)
    assert set(ask(resolver, "turn the lights on", "kitchen").targets) == set(KITCHEN_LIGHTS)
    assert set(ask(resolver, "turn off the lights in here", "kitchen").targets) == set(
        KITCHEN_LIGHTS
    )
    # A spoken area wins over the requester's.
    assert set(ask(resolver, "turn on the kitchen lights", "bedroom").targets) == set(
        KITCHEN_LIGHTS
    )
    # The requester's area narrows before "all" does (issue 11); "all the lights in the
    # house" is the whole home.
    assert set(ask(resolver, "turn off all the lights", "bedroom").targets) == set(
        BEDROOM_LIGHTS
    )
    assert len(ask(resolver, "turn off all the lights in the house", "bedroom").targets) == 13
    # Nothing of that kind here: the one in the home is meant.
    assert ask(resolver, "start the vacuum", "kitchen").targets == ("vacuum.robot",)


def test_names_aliases_and_typos(resolver: Resolver) -> None:
    assert ask(resolver, "turn on the reading lamp").targets == ("light.floor_lamp",)
    assert ask(resolver, "switch off the telly").targets == ("media_player.living_tv",)
    r = ask(resolver, "tunr on the kichen lihgts")
    assert (r.tool, set(r.targets)) == ("turn_on", set(KITCHEN_LIGHTS))
    # The longer name wins: the fan, not the ceiling light of the same room.
    assert ask(resolver, "turn on the ceiling fan in the bedroom").targets == (
        "fan.bedroom_ceiling_fan",
    )
    # The area word of a name may come from where one is.
    assert ask(resolver, "turn on the ceiling light", "kitchen").targets == (
        "light.kitchen_ceiling",
    )
    # A partial name in the named area, before "everything in the office".
    assert ask(resolver, "turn off the heater in the office").targets == ("switch.space_heater",)


@pytest.mark.parametrize(
    ("text", "area", "tool", "args"),
    [
        ("set the thermostat to 21 degrees", None, "set_temperature", {"temperature": 21}),
        ("set the thermostat to 68 degrees fahrenheit", None, "set_temperature",
         {"temperature": 20}),
        ("set it to 21", "living room", "set_temperature", {"temperature": 21}),
        ("set the ac to cooling", "bedroom", "set_hvac_mode", {"hvac_mode": "cool"}),
        ("open the office shade halfway", None, "set_cover_position", {"position": 50}),
        ("make the tv backlight purple", None, "turn_on", {"color_name": "purple"}),
        ("set the desk lamp to warm white", None, "turn_on", {"color_temp_kelvin": 2700}),
        ("lower the hallway light by thirty percent", None, "turn_on",
         {"brightness_step_pct": -30}),
        ("set the tv volume to 30%", None, "volume_set", {"volume_level": 0.3}),
        ("mute the tv", None, "volume_mute", {"is_volume_muted": True}),
        ("put the desk fan on low", None, "set_percentage", {"percentage": 33}),
        ("run the desk fan for 10 minutes", None, "turn_on", {"duration": 600}),
        ("disarm the house alarm, code 1234", None, "alarm_disarm", {"code": "1234"}),
        ("arm the alarm for the night", None, "alarm_arm_night", {}),
    ],
)  # fmt: skip
def test_arguments(
    resolver: Resolver, text: str, area: str | None, tool: str, args: dict[str, Any]
) -> None:
    r = ask(resolver, text, area)
    assert (r.tool, dict(r.args)) == (tool, args)


def test_fahrenheit_homes(capabilities: tuple[Capability, ...]) -> None:
    resolver = Resolver(capabilities, temperature_unit="°F")
    assert dict(resolver.resolve("set the thermostat to 72").args) == {"temperature": 72}
    assert dict(resolver.resolve("set the thermostat to 20 degrees celsius").args) == {
        "temperature": 68
    }


def test_warmer_is_relative_to_the_known_setpoint() -> None:
    thermostat = Capability(
        id="climate.hall", type="climate", name="Hall thermostat", area="hall"
    ).with_state({"state": "heat", "temperature": 20.5})
    r = resolve("make the hall thermostat warmer", [thermostat])
    assert (r.tool, dict(r.args)) == ("set_temperature", {"temperature": 21.5})
    r = resolve("turn the hall thermostat down by 2 degrees", [thermostat])
    assert dict(r.args) == {"temperature": 18.5}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("transcribe this recording", "audio/transcribe"),
        ("how many people are in this photo", "vision/detect"),
        ("embed these sentences", "embeddings"),
        ("search the web for vegan lasagna recipes", "search"),
        ("tell me a joke", "llm/chat"),
        ("what is the capital of peru", "llm/chat"),
        # A device name inside a search is still a search.
        ("search for reviews of robot vacuums", "search"),
    ],
)
def test_ai_services(resolver: Resolver, text: str, kind: str) -> None:
    r = ask(resolver, text)
    assert r.kind == kind
    assert r.targets and all(t.startswith("ai.") for t in r.targets)


def test_no_decision_for_a_device_verb_without_a_device(resolver: Resolver) -> None:
    r = ask(resolver, "turn it off", "office")
    assert (r.kind, r.tool, r.targets) == ("", "", ())
    assert "nothing in the catalogue matches" in r.reasons[0]


def test_no_capabilities() -> None:
    r = resolve("turn on the kitchen lights", [])
    assert (r.tool, r.targets, r.score) == ("", (), 0.0)


def test_resolution_as_json(resolver: Resolver) -> None:
    line = ask(resolver, "dim the kitchen lights to 30%").as_json()
    assert set(line) == {"text", "capability", "tool", "targets", "args", "node", "score",
                         "confidence", "outcome", "path"}
    assert line["outcome"] == "ok" and line["confidence"] == line["score"]
    assert line["node"] == "home-hub"
    assert line["capability"] == "light"
    assert 0 < line["score"] <= 1


def test_reasons_say_why(resolver: Resolver) -> None:
    r = ask(resolver, "lights on in the bedroom")
    assert r.reasons[0] == "noun: light in bedroom"
    assert r.reasons[1] == "action 'on' from 'lights on'"


@pytest.mark.parametrize("text", ["", "   ", "?!", "..."])
def test_no_words_no_decision(resolver: Resolver, text: str) -> None:
    r = ask(resolver, text)
    assert (r.kind, r.tool, r.targets, r.reasons) == ("", "", (), ("no words",))


def test_long_and_foreign_input_does_not_break(resolver: Resolver) -> None:
    assert ask(resolver, "a" * 5000).kind == "llm/chat"
    assert ask(resolver, "é ü 日本語").kind == "llm/chat"
    assert ask(resolver, "turn on " * 200).tool == ""
