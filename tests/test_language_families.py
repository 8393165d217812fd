"""Home Assistant's intent families (issue 11): to-do lists, timers, media search, presence,
weather, the time and the date, valves, scenes and scripts."""

from __future__ import annotations

from typing import Any

import pytest

from hub.capfile import parse_capabilities
from hub.located import parse_yaml
from hub.routing.language import Resolver
from hub.routing.language.families import duration

HOME = """\
- {id: light.kitchen_ceiling, type: light, name: Kitchen ceiling, area: kitchen}
- {id: todo.shopping_list, type: todo, name: Shopping list}
- {id: todo.chores, type: todo, name: Chores}
- {id: timer.kitchen, type: timer, name: Kitchen timer, area: kitchen}
- {id: timer.laundry, type: timer, name: Laundry timer, area: laundry room}
- {id: media_player.kitchen_speaker, type: media_player, name: Kitchen speaker, area: kitchen}
- {id: media_player.living_room_tv, type: media_player, name: Living room TV, area: living room}
- {id: weather.home, type: weather, name: Home}
- {id: person.anna, type: person, name: Anna}
- {id: person.ben, type: person, name: Ben}
- {id: valve.garden, type: valve, name: Garden sprinkler valve, area: garden}
- {id: scene.movie_night, type: scene, name: Movie night}
- {id: script.good_night, type: script, name: Good night}
- {id: vacuum.roomba, type: vacuum, name: Roomba}
"""


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver(parse_capabilities(parse_yaml(HOME, file="home.yaml")))


CASES: list[tuple[str, str | None, str, list[str], dict[str, Any]]] = [
    ("add milk to the shopping list", None, "todo.add_item", ["todo.shopping_list"],
     {"item": "milk"}),
    ("put some eggs on my shopping list", None, "todo.add_item", ["todo.shopping_list"],
     {"item": "eggs"}),
    ("add mop the floor to my chores list", None, "todo.add_item", ["todo.chores"],
     {"item": "mop the floor"}),
    ("cross bread off the shopping list", None, "todo.update_item", ["todo.shopping_list"],
     {"item": "bread", "status": "completed"}),
    ("remove the bananas from the shopping list", None, "todo.remove_item",
     ["todo.shopping_list"], {"item": ["bananas"]}),
    ("what's on my shopping list?", None, "todo.get_items", ["todo.shopping_list"],
     {"status": ["needs_action"]}),
    ("set a 5 minute timer", "kitchen", "timer.start", ["timer.kitchen"], {"duration": 300}),
    ("start a timer for 1 hour and 15 minutes in the kitchen", None, "timer.start",
     ["timer.kitchen"], {"duration": 4500}),
    ("add 5 minutes to the kitchen timer", None, "timer.change", ["timer.kitchen"],
     {"duration": 300}),
    ("take 2 minutes off the laundry timer", None, "timer.change", ["timer.laundry"],
     {"duration": -120}),
    ("pause the kitchen timer", None, "timer.pause", ["timer.kitchen"], {}),
    ("count down 3 minutes", "kitchen", "timer.start", ["timer.kitchen"], {"duration": 180}),
    ("wake me in half an hour", "kitchen", "timer.start", ["timer.kitchen"], {"duration": 1800}),
    ("resume the kitchen timer", None, "timer.start", ["timer.kitchen"], {}),
    ("cancel all timers", None, "timer.cancel", ["timer.kitchen", "timer.laundry"], {}),
    ("how much time is left on the kitchen timer?", None, "timer.get_state",
     ["timer.kitchen"], {}),
    ("play the album Abbey Road in the kitchen", None, "media_player.play_media",
     ["media_player.kitchen_speaker"],
     {"media_content_id": "abbey road", "media_content_type": "album"}),
    ("play some jazz on the living room tv", None, "media_player.play_media",
     ["media_player.living_room_tv"], {"media_content_id": "jazz", "media_content_type": "music"}),
    ("play music in the kitchen", None, "media_player.media_play",
     ["media_player.kitchen_speaker"], {}),
    ("next song in the kitchen", None, "media_player.media_next_track",
     ["media_player.kitchen_speaker"], {}),
    ("what's the weather like?", None, "weather.get_state", ["weather.home"], {}),
    ("will it rain tomorrow?", None, "weather.get_forecasts", ["weather.home"],
     {"type": "daily"}),
    ("what time is it", None, "datetime.get_time", [], {}),
    ("what's the date today", None, "datetime.get_date", [], {}),
    ("is anyone home?", None, "person.get_state", ["person.anna", "person.ben"], {}),
    ("is Anna home?", None, "person.get_state", ["person.anna"], {}),
    ("open the sprinkler valve to 50%", None, "valve.set_valve_position", ["valve.garden"],
     {"position": 50}),
    ("close the garden valve", None, "valve.close_valve", ["valve.garden"], {}),
    ("activate movie night", None, "scene.turn_on", ["scene.movie_night"], {}),
    ("run the good night script", None, "script.turn_on", ["script.good_night"], {}),
    ("wake the roomba", None, "vacuum.start", ["vacuum.roomba"], {}),
]  # fmt: skip


@pytest.mark.parametrize(("text", "area", "tool", "targets", "args"), CASES)
def test_intent_families(
    resolver: Resolver,
    text: str,
    area: str | None,
    tool: str,
    targets: list[str],
    args: dict[str, Any],
) -> None:
    r = resolver.resolve(text, {"area": area} if area else None)
    assert (f"{r.kind}.{r.tool}", sorted(r.targets), dict(r.args), r.outcome) == (
        tool, targets, args, "ok",
    )  # fmt: skip


def test_a_timer_with_two_candidates_and_no_area_asks(resolver: Resolver) -> None:
    r = resolver.resolve("pause the timer")
    assert (r.kind, r.tool, r.targets, r.outcome) == ("timer", "pause", (), "unsure")
    assert r.reasons[0].startswith("which timer? 2 fit")
    assert {t for c in r.candidates for t in c.targets} == {"timer.kitchen", "timer.laundry"}


def test_a_family_without_its_device_is_no_command() -> None:
    bare = Resolver(parse_capabilities(parse_yaml(HOME.splitlines()[0] + "\n", file="h.yaml")))
    r = bare.resolve("set a 5 minute timer")
    assert (r.tool, r.outcome) == ("start", "none")
    assert r.reasons[0] == "no timer in this home"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("a 5 minute timer", 300),
        ("1 hour and 15 minutes", 4500),
        ("an hour and a half", 5400),
        ("half an hour", 1800),
        ("90 seconds", 90),
        ("2 and a half minutes", 150),
        ("no time at all", None),
    ],
)
def test_durations(text: str, seconds: int | None) -> None:
    assert duration(text) == seconds
