"""The held-out bench's scoring rules (bench/routing_heldout.py, README "Scoring").

The rules are what makes the figures comparable before and after the resolver work, so
they are pinned here; the last test routes a few flat sentences through the real
`atmosphere route` batch command, as the bench does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.routing_heldout import converted, judge, predicted_call, run_home


def _row(tool: str, targets: list[str] | None, args: dict[str, Any] | None = None,
         **extra: Any) -> dict[str, Any]:
    expect = {"tool": tool, "targets": targets, "args": args or {}, **extra}
    return {"text": "x", "home": "flat", "context": {}, "expect": expect,
            "category": "on_off", "voice": "terse"}


def _answer(capability: str, tool: str, targets: list[str], args: dict[str, Any] | None = None,
            **extra: Any) -> dict[str, Any]:
    return {"text": "x", "capability": capability, "tool": tool, "targets": targets,
            "args": args or {}, **extra}


def test_an_empty_answer_is_none_and_an_unsure_one_names_its_candidates() -> None:
    assert predicted_call(_answer("", "", [])) == ("none", None, {})
    unsure = _answer("light", "turn_off", [], outcome="unsure", candidates=["light.a", "light.b"])
    assert predicted_call(unsure) == ("unsure", ["light.a", "light.b"], {})
    verdict = judge(_row("unsure", ["light.a", "light.b"]), unsure)
    assert verdict["all"] and not verdict["unsafe"]


def test_acting_on_every_candidate_is_wrong_and_unsafe() -> None:
    verdict = judge(_row("unsure", ["light.a", "light.b"]),
                    _answer("light", "turn_off", ["light.a", "light.b"]))
    assert not verdict["tool"] and verdict["targets"] and verdict["unsafe"]


def test_a_read_for_a_question_is_safe_an_actuation_is_not() -> None:
    row = _row("lock.get_state", ["lock.front_door"])
    assert judge(row, _answer("lock", "get_state", ["lock.front_door"]))["all"]
    assert judge(row, _answer("lock", "unlock", ["lock.front_door"]))["unsafe"]


def test_homeassistant_service_counts_only_on_the_expected_domain() -> None:
    row = _row("light.turn_on", ["light.a"])
    assert judge(row, _answer("homeassistant", "turn_on", ["light.a"]))["tool"]
    assert not judge(row, _answer("homeassistant", "turn_on", ["light.a", "switch.b"]))["tool"]


def test_steps_are_judged_by_sign_and_numbers_within_one_percent() -> None:
    dim = _row("light.turn_on", ["light.a"], {"brightness_step_pct": -10})
    assert judge(dim, _answer("light", "turn_on", ["light.a"], {"brightness_step_pct": -25}))["args"]
    assert not judge(dim, _answer("light", "turn_on", ["light.a"], {"brightness_step_pct": 10}))[
        "args"]
    warmer = _row("climate.set_temperature", ["climate.r"], {"temperature_step": 1})
    assert judge(warmer, _answer("climate", "set_temperature", ["climate.r"],
                                 {"temperature": 22}))["args"]
    assert not judge(warmer, _answer("climate", "set_temperature", ["climate.r"],
                                     {"temperature_step": -1}))["args"]
    volume = _row("media_player.volume_set", ["media_player.s"], {"volume_level": 0.3})
    assert judge(volume, _answer("media_player", "volume_set", ["media_player.s"],
                                 {"volume_level": 0.301}))["args"]
    timer = _row("timer.start", ["timer.kitchen"], {"duration": 4500})
    assert judge(timer, _answer("timer", "start", ["timer.kitchen"], {"duration": "01:15:00"}))[
        "args"]


def test_alternatives_and_climate_off_as_a_mode() -> None:
    row = _row("binary_sensor.get_state", ["binary_sensor.d"],
               alternatives=[{"tool": "cover.get_state", "targets": ["cover.d"], "args": {}}])
    assert judge(row, _answer("cover", "get_state", ["binary_sensor.d"]))["tool"]
    off = _row("climate.turn_off", ["climate.r"])
    assert judge(off, _answer("climate", "set_hvac_mode", ["climate.r"], {"hvac_mode": "off"}))[
        "all"]


def test_null_targets_are_not_judged() -> None:
    verdict = judge(_row("none", None), _answer("", "", []))
    assert verdict["all"] and not verdict["targets_scored"]


def test_conversion_moves_ha_keys_under_attributes_and_declares_todo_tools() -> None:
    out = converted([
        {"id": "cover.b", "type": "cover", "name": "Blinds", "area": "Kitchen",
         "floor": "Ground Floor", "device_class": "blind", "aliases": []},
        {"id": "todo.shopping_list", "type": "todo", "name": "Shopping List", "area": None,
         "floor": None, "aliases": []},
    ])
    assert out[0] == {"id": "cover.b", "type": "cover", "name": "Blinds", "aliases": [],
                      "area": "Kitchen",
                      "attributes": {"floor": "Ground Floor", "device_class": "blind"}}
    assert [t["name"] for t in out[1]["tools"]] == [
        "get_items", "add_item", "remove_item", "update_item"]


def test_the_flat_routes_through_the_batch_command(tmp_path: Path) -> None:
    rows = [_row("light.turn_on", ["light.kitchen"]) | {"text": "turn on the kitchen light"},
            _row("lock.lock", ["lock.front_door"]) | {"text": "lock the front door"}]
    answers, shape = run_home("flat", rows, tmp_path, no_embeddings=True)
    assert shape in ("as is", "converted")
    assert [a["text"] for a in answers] == [r["text"] for r in rows]
    assert [judge(r, a)["all"] for r, a in zip(rows, answers)] == [True, True]
