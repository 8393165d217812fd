"""The held-out routing set is well formed (tests/data/routing/heldout/README.md).

Integrity only: every line parses, names a home and entities that exist, a tool the
project's domains know (or `unsure` / `none`), arguments its schema has, and the set is as
large and as varied as its README says. How well the resolver does on it is the job of
`python -m bench.routing_heldout`, not of this test. Failures name the file and line, never
the sentence, so that a failing run does not show the final part to anyone.
"""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from hub.domains import DEVICE_DOMAINS, standard_tools

HELDOUT = Path(__file__).resolve().parent / "data" / "routing" / "heldout"
HOMES = ("flat", "house", "manor")
PARTS = ("dev", "final")
CATEGORIES = {
    "on_off", "brightness", "colour", "relative", "wish", "state_question", "cover", "lock",
    "climate", "fan", "media", "search_play", "vacuum", "valve", "timer", "todo", "weather",
    "time_date", "presence", "scene_script", "floor", "device_class", "ambiguous",
    "unknown_area", "nonsense", "question_no_act", "two_commands", "typos", "plural",
    "synonym", "product",
}  # fmt: skip
VOICES = {"terse", "chatty", "indirect", "polite", "typos", "non-native"}
# Home Assistant services the set uses beyond the capability format's standard tools
# (README, "Labels"): domains it does not model yet, and services it does not offer yet.
HA_SERVICES = {
    "person": {"get_state"},
    "todo": {"add_item", "remove_item", "update_item", "get_items"},
    "timer": {"change"},
    "weather": {"get_forecasts"},
    "clock": {"get_time", "get_date"},
}
# Fields the set adds to Home Assistant's (README): a relative temperature change.
EXTRA_FIELDS = {"temperature_step"}
HA_FIELDS = {"todo": {"item", "status"}, "timer": {"duration"}, "weather": {"type"}}


def _entities(home: str) -> list[dict[str, Any]]:
    data = json.loads((HELDOUT / "homes" / f"{home}_devices.json").read_text())
    assert isinstance(data, list)
    return data


def _layout(home: str) -> dict[str, Any]:
    data = json.loads((HELDOUT / "homes" / f"{home}_layout.json").read_text())
    assert isinstance(data, dict)
    return data


def _rows(part: str) -> list[tuple[int, dict[str, Any]]]:
    lines = (HELDOUT / f"{part}.jsonl").read_text(encoding="utf-8").splitlines()
    out = []
    for number, line in enumerate(lines, 1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            pytest.fail(f"{part}.jsonl:{number}: not JSON: {exc}")
        assert isinstance(row, dict), f"{part}.jsonl:{number}: not an object"
        out.append((number, row))
    return out


ALL_ROWS = [(part, number, row) for part in PARTS for number, row in _rows(part)]


def test_homes_are_what_their_builder_writes(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_homes", HELDOUT / "homes" / "build_homes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for build in (module.flat, module.house, module.manor):
        home = build()
        built = sorted(home.entities, key=lambda e: str(e["id"]))
        assert built == _entities(home.name), f"homes/{home.name}_devices.json is stale: run build_homes.py"


@pytest.mark.parametrize("home", HOMES)
def test_home_entities_are_ha_shaped_and_placed_on_floors(home: str) -> None:
    entities = _entities(home)
    layout = _layout(home)
    floors = {f["name"] for f in layout["floors"]}
    areas = {a["name"]: a["floor"] for a in layout["areas"]}
    assert 50 <= len(entities) <= 500, f"{home}: {len(entities)} devices, want 50..500"
    ids = [e["id"] for e in entities]
    assert len(ids) == len(set(ids)), f"{home}: duplicate ids"
    for e in entities:
        where = f"{home}_devices.json: {e.get('id')}"
        assert set(e) <= {"id", "type", "name", "area", "floor", "device_class", "aliases"}, where
        assert e["id"].split(".", 1)[0] == e["type"], f"{where}: id and type disagree"
        assert e["type"] in DEVICE_DOMAINS | set(HA_SERVICES) - {"clock"}, f"{where}: type"
        assert e["area"] is None or e["area"] in areas, f"{where}: unknown area {e['area']!r}"
        if e["area"] is not None:
            assert e["floor"] == areas[e["area"]], f"{where}: floor is not its area's"
        assert e["floor"] is None or e["floor"] in floors, f"{where}: unknown floor"
    assert len(floors) >= 1


def _check_call(home_ids: Mapping[str, str], call: Mapping[str, Any], where: str) -> None:
    tool = call["tool"]
    targets = call["targets"]
    assert targets is None or (isinstance(targets, list) and targets == sorted(set(targets))), (
        f"{where}: targets must be null or a sorted list without repeats")
    for target in targets or []:
        assert target in home_ids, f"{where}: target {target} is not in the home"
    if tool in ("unsure", "none"):
        assert call["args"] == {}, f"{where}: {tool} takes no args"
        if tool == "none":
            assert targets is None, f"{where}: none has no targets"
        return
    domain, _, service = tool.partition(".")
    assert service, f"{where}: tool {tool!r} is not domain.service"
    known = {t.name: t for t in standard_tools(domain)}
    extra = HA_SERVICES.get(domain, set())
    assert domain in DEVICE_DOMAINS or domain in HA_SERVICES, f"{where}: unknown domain {domain}"
    assert service in known or service in extra, f"{where}: {domain} has no service {service}"
    for target in targets or []:
        assert home_ids[target] == domain, f"{where}: {target} is not a {domain}"
    fields = set(EXTRA_FIELDS) | HA_FIELDS.get(domain, set())
    if service in known:
        fields |= set(known[service].parameters.get("properties", {}))
    for key in call["args"]:
        assert key in fields, f"{where}: {tool} has no field {key!r}"


@pytest.mark.parametrize(("part", "number", "row"), ALL_ROWS,
                         ids=[f"{p}:{n}" for p, n, _ in ALL_ROWS])
def test_line_is_well_formed(part: str, number: int, row: dict[str, Any]) -> None:
    where = f"{part}.jsonl:{number}"
    assert set(row) <= {"text", "home", "context", "expect", "category", "voice", "also"}, where
    assert isinstance(row["text"], str) and row["text"].strip(), f"{where}: empty text"
    assert row["home"] in HOMES, f"{where}: unknown home {row['home']!r}"
    assert row["category"] in CATEGORIES, f"{where}: unknown category {row['category']!r}"
    assert row["voice"] in VOICES, f"{where}: unknown voice {row['voice']!r}"
    areas = {a["name"] for a in _layout(row["home"])["areas"]}
    assert set(row["context"]) <= {"area"}, f"{where}: context keys"
    assert row["context"].get("area", next(iter(areas))) in areas, f"{where}: unknown area"
    home_ids = {e["id"]: e["type"] for e in _entities(row["home"])}
    expect = row["expect"]
    assert set(expect) <= {"tool", "targets", "args", "alternatives"}, f"{where}: expect keys"
    _check_call(home_ids, expect, f"{where}: expect")
    for i, alternative in enumerate(expect.get("alternatives", [])):
        _check_call(home_ids, alternative, f"{where}: alternatives[{i}]")
    if "also" in row:
        _check_call(home_ids, row["also"], f"{where}: also")


def test_set_is_large_varied_and_without_repeats() -> None:
    rows = [row for _, _, row in ALL_ROWS]
    assert len(rows) >= 1500, f"{len(rows)} sentences, want at least 1,500"
    sizes = Counter(part for part, _, _ in ALL_ROWS)
    assert sizes["dev"] >= 1000 and sizes["final"] >= 350, sizes
    categories = Counter(row["category"] for row in rows)
    thin = {c: categories[c] for c in CATEGORIES if categories[c] < 20}
    assert not thin, f"categories with fewer than 20 sentences: {thin}"
    voices = Counter(row["voice"] for row in rows)
    assert all(voices[v] >= 50 for v in VOICES), voices
    assert set(Counter(row["home"] for row in rows)) == set(HOMES)
    keys = Counter((row["home"], row["text"].casefold(), row["context"].get("area"))
                   for row in rows)
    repeated = sum(1 for count in keys.values() if count > 1)
    assert repeated == 0, f"{repeated} sentences appear twice in one home and context"
