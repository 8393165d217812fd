"""Text normalisation, clauses, questions, and the quantity reader."""

from __future__ import annotations

import pytest

from hub.routing.language.quantities import read
from hub.routing.language.text import edit_distance, normalise, parse, stem


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("What's the temperature?", "what is the temperature"),
        ("set it to twenty one and a half", "set it to 21.5"),
        ("seventy five percent", "75 percent"),
        ("one hundred and five", "105"),
        ("72°F", "72 degrees f"),
        ("dim to 30%", "dim to 30 percent"),
        ("45mins", "45 minutes"),
        ("I can't hear", "i can not hear"),
        ("the under-cabinet lights", "the under cabinet lights"),
        ("John's lamp", "john lamp"),
        ("colour temp", "color temperature"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_clauses_and_questions() -> None:
    utterance = parse("Where is the robot vacuum? make it beep")
    assert [c.question for c in utterance.clauses] == [True, False]
    assert not utterance.question
    assert parse("is the heating on?").question
    assert parse("did I lock the back door").question
    # A polite modal asks for an action, not for information.
    assert not parse("could you turn the porch light on?").question
    assert not parse("do a web search on batteries").question
    assert parse("front door lock status").question


def test_decimal_point_does_not_split_clauses() -> None:
    assert len(parse("set the thermostat to 21.5").clauses) == 1


def test_stem_and_edit_distance() -> None:
    assert stem("lights") == stem("light") == "light"
    assert stem("batteries") == "battery"
    assert stem("glass") == "glass"
    assert edit_distance("lihgt", "light") == 1  # a swap counts once
    assert edit_distance("kichen", "kitchen") == 1
    assert edit_distance("lamp", "chandelier", limit=2) == 3  # cut off above the limit


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("dim to 30 percent", "percent", 30),
        ("open it halfway", "percent", 50),
        ("open a quarter of the way", "percent", 25),
        ("three quarters", "percent", 75),
        ("full brightness", "percent", 100),
        ("lower it by 20 percent", "step", 20),
        ("set it to 21", "number", 21),
        ("68 degrees f", "degrees", 68),
        ("19 degrees", "degrees", 19),
        ("2700 k", "kelvin", 2700),
        ("warm white", "kelvin", 2700),
        ("daylight", "kelvin", 6500),
        ("make it crimson", "colour", "crimson"),
        ("light blue", "colour", "lightblue"),
        ("for 10 minutes", "duration", 600),
        ("for half an hour", "duration", 1800),
        ("over a minute", "transition", 60),
        ("in 5 minutes", "delay", 300),
        ("disarm with code 4321", "code", "4321"),
        ("on low", "speed", 33),
        ("switch the thermostat to heat mode", "hvac_mode", "heat"),
        ("set the ac to cooling", "hvac_mode", "cool"),
        ("put it on auto", "hvac_mode", "auto"),
        ("arm it for the night", "alarm_mode", "night"),
    ],
)
def test_quantities(text: str, field: str, value: object) -> None:
    assert getattr(read(normalise(text)), field) == value


def test_quantities_keep_apart_what_they_took() -> None:
    q = read(normalise("fade the lights to 20% over 30 seconds"))
    assert (q.percent, q.transition, q.number) == (20, 30, None)
    q = read(normalise("turn on the fan for 2 hours"))
    assert (q.duration, q.number, q.percent) == (7200, None, None)
    q = read(normalise("the degrees f unit is 72 degrees f"))
    assert (q.degrees, q.degree_unit) == (72, "f")
    # "cool the bedroom down to 17" is a temperature, not the cooling mode.
    assert read(normalise("cool the bedroom down to 17 degrees")).hvac_mode is None
    # "turn on the heating" does not set the heating mode.
    assert read(normalise("turn on the heating")).hvac_mode is None
