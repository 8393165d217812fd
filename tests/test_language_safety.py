"""Safe decisions (issue 11): questions never act, ambiguity and unknown places ask back."""

from __future__ import annotations

import pytest

from hub.capfile import parse_capabilities
from hub.located import parse_yaml
from hub.routing.language import Resolution, Resolver

HOME = """\
- {id: light.kitchen_ceiling, type: light, name: Kitchen ceiling, area: kitchen, floor: ground floor}
- {id: light.kitchen_counter, type: light, name: Kitchen counter, area: kitchen, floor: ground floor}
- {id: light.hall, type: light, name: Hall light, area: hallway, floor: ground floor}
- {id: light.bedroom, type: light, name: Bedroom light, area: bedroom, floor: upstairs}
- {id: light.bathroom, type: light, name: Bathroom light, area: bathroom, floor: upstairs}
- {id: lock.patio_door, type: lock, name: Patio door, area: living room}
- {id: cover.patio_door, type: cover, name: Patio door, area: living room, device_class: door}
- {id: scene.movie_night, type: scene, name: Movie night}
- {id: fan.bedroom, type: fan, name: Bedroom fan, area: bedroom, floor: upstairs}
"""


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver(parse_capabilities(parse_yaml(HOME, file="home.yaml")))


def ask(resolver: Resolver, text: str, area: str | None = None) -> Resolution:
    return resolver.resolve(text, {"area": area} if area else None)


@pytest.mark.parametrize(
    ("text", "kind", "targets"),
    [
        ("is the patio door locked?", "lock", ("lock.patio_door",)),
        ("is the patio door open?", "cover", ("cover.patio_door",)),
        ("is the movie night scene on?", "", ()),
    ],
)
def test_a_question_never_actuates(
    resolver: Resolver, text: str, kind: str, targets: tuple[str, ...]
) -> None:
    r = ask(resolver, text)
    if kind:
        assert (r.kind, r.tool, r.targets, r.outcome) == (kind, "get_state", targets, "ok")
    else:  # a scene can only be activated: the question is not carried out
        assert r.outcome == "unsure" and not r.actionable
        assert "a question" in r.reasons[0]


def test_one_name_of_two_domains_takes_the_domain_the_verb_fits(resolver: Resolver) -> None:
    r = ask(resolver, "lock the patio door")
    assert (r.kind, r.tool, r.targets, r.outcome) == ("lock", "lock", ("lock.patio_door",), "ok")
    r = ask(resolver, "open the patio door")
    assert (r.kind, r.tool, r.targets) == ("cover", "open_cover", ("cover.patio_door",))
    r = ask(resolver, "turn on the patio door")  # "on" fits the cover only (open it)
    assert (r.kind, r.targets) == ("cover", ("cover.patio_door",))
    r = ask(resolver, "how is the patio door?")  # nothing tells lock from cover
    assert (r.kind, r.tool, r.outcome) == ("lock", "get_state", "unsure")
    assert (
        r.reasons[0] == "one name for a lock and a cover: say which, e.g. 'the lock' or 'the cover'"
    )


def test_a_bare_singular_with_many_candidates_is_unsure_and_names_them(
    resolver: Resolver,
) -> None:
    r = ask(resolver, "turn off the light")
    assert r.outcome == "unsure" and r.targets == () and not r.actionable
    assert (r.kind, r.tool) == ("light", "turn_off")  # the likely call, for asking back
    assert r.reasons[0].startswith("which light? 5 fit and no area or 'all' was said")
    named = {t for c in r.candidates for t in c.targets}
    assert {"light.hall", "light.bedroom", "light.kitchen_ceiling"} <= named


@pytest.mark.parametrize(
    ("text", "area", "targets"),
    [
        ("turn off all the lights", None, 5),
        ("turn off the lights", None, 5),
        ("turn off the light", "kitchen", 2),
        ("turn off all the lights", "kitchen", 2),  # the requester's area comes first
        ("turn off all the lights in the house", "kitchen", 5),
        ("turn off the upstairs lights", None, 2),
        ("turn off the lights on the ground floor", None, 3),
    ],
)
def test_an_area_a_floor_a_quantifier_or_a_plural_says_which(
    resolver: Resolver, text: str, area: str | None, targets: int
) -> None:
    r = ask(resolver, text, area)
    assert (r.kind, r.tool, r.outcome) == ("light", "turn_off", "ok")
    assert len(r.targets) == targets


def test_an_unknown_area_is_unsure_with_the_reason(resolver: Resolver) -> None:
    r = ask(resolver, "turn on the garage light")
    assert r.outcome == "unsure" and r.targets == ()
    assert r.reasons[0] == "no area called 'garage' in this home"


def test_nonsense_is_no_command(resolver: Resolver) -> None:
    r = ask(resolver, "purple monkey dishwasher")
    assert (r.tool, r.outcome, r.targets) == ("", "none", ())


@pytest.mark.parametrize(
    ("text", "tool"),
    [
        ("put the kitchen lights out", "turn_off"),
        ("put out the hall light", "turn_off"),
        ("it's dark in the kitchen", "turn_on"),
        ("it is so dark in the kitchen", "turn_on"),
    ],
)
def test_put_out_is_off_and_dark_is_on(resolver: Resolver, text: str, tool: str) -> None:
    r = ask(resolver, text)
    assert (r.kind, r.tool, r.outcome) == ("light", tool, "ok")


def test_every_resolution_carries_a_confidence_and_an_outcome(resolver: Resolver) -> None:
    for text in ("turn on the hall light", "turn off the light", "what rhymes with orange"):
        answer = ask(resolver, text).as_json()
        assert answer["outcome"] in ("ok", "unsure", "none")
        assert 0.0 <= answer["confidence"] <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "could you find out whether the bedroom fan is running",
        "let me know if the hall light is on or off",
        "I wonder if the bedroom fan is off",
    ],
)
def test_an_indirect_question_only_reads(resolver: Resolver, text: str) -> None:
    r = ask(resolver, text)
    assert r.tool == "get_state" and r.outcome == "ok"


@pytest.mark.parametrize("text", ["switch the hall light on or off", "alter the state of the hall light"])
def test_on_or_off_and_changing_the_state_toggle(resolver: Resolver, text: str) -> None:
    r = ask(resolver, text)
    assert (r.kind, r.tool, r.targets) == ("light", "toggle", ("light.hall",))
