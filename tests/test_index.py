"""The capability index on the real model: incremental changes, shared rows, search, events."""

from __future__ import annotations

import numpy as np
import pytest

from hub.events import (
    AvailabilityChanged,
    CapabilityAdded,
    CapabilityRemoved,
    CapabilityUpdated,
    EventBus,
)
from hub.model import Capability, NodeId, Tool, Trigger
from hub.routing.embedder import Embedder, ModelMismatch, Vector
from hub.routing.index import CapabilityIndex, _matvec
from hub.routing.texts import capability_text, tool_text, trigger_text

LIGHT_TOOLS = (
    Tool("turn_on", "Turn the light on; set its brightness to dim or brighten it, or its colour"),
    Tool("turn_off", "Turn the light off"),
    Tool("get_state", "Read the current state"),
)


def light(cid: str, name: str, area: str, node: str = "") -> Capability:
    return Capability(cid, "light", name, node=NodeId(node), area=area, tools=LIGHT_TOOLS)


def lock(cid: str = "lock.front", node: str = "") -> Capability:
    return Capability(
        cid,
        "lock",
        "Front door",
        node=NodeId(node),
        area="hallway",
        tools=(Tool("lock", "Lock the door"), Tool("unlock", "Unlock the door")),
    )


def fan(cid: str = "fan.bedroom") -> Capability:
    return Capability(
        cid,
        "fan",
        "Ceiling fan",
        area="bedroom",
        tools=(Tool("turn_on", "Turn the fan on"), Tool("set_percentage", "Set the fan speed")),
    )


def camera(cid: str = "camera.porch") -> Capability:
    return Capability(
        cid,
        "camera",
        "Porch camera",
        area="porch",
        tools=(Tool("get_frame", "Take a snapshot image from the camera"),),
        triggers=(Trigger("person", "A person was detected", intent="person at {area} door"),),
    )


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture
def index(embedder: Embedder) -> CapabilityIndex:
    return CapabilityIndex(embedder, initial_capacity=2)


def test_texts_say_who_what_and_where() -> None:
    kitchen = Capability(
        "light.k", "light", "Ceiling", area="kitchen", aliases=("big light",), description="LED"
    )
    assert capability_text(kitchen) == "light: Ceiling. also called big light. in the kitchen. LED"
    assert capability_text(Capability("sensor.hall_temp", "sensor")) == "sensor: sensor hall temp"
    assert tool_text("cover", Tool("set_cover_position", "Move to a position")) == (
        "cover set cover position: Move to a position"
    )
    assert trigger_text(camera(), camera().triggers[0]) == (
        "person at porch door: A person was detected"
    )


def test_dim_the_lights_ranks_lights_above_the_lock(
    index: CapabilityIndex, embedder: Embedder
) -> None:
    for capability in (lock(), light("light.kitchen", "Kitchen ceiling", "kitchen"), camera()):
        index.add(capability)
    matches = index.rank(embedder.embed_one("dim the lights"), 3)
    assert next(m.capability.id for m in matches) == "light.kitchen"
    assert matches[0].tool == "turn_on"
    scores = {m.capability.id: m.score for m in matches}
    assert scores["light.kitchen"] > scores["lock.front"] + 0.1
    best = matches[0]
    assert best.score == pytest.approx(
        max(best.capability_score, (best.capability_score + best.tool_score) / 2)
    )


def test_incremental_add_and_remove_change_results(
    index: CapabilityIndex, embedder: Embedder
) -> None:
    query = embedder.embed_one("turn on the fan in the bedroom")
    index.add(light("light.bedroom", "Bedroom lamp", "bedroom"))
    index.add(lock())
    assert index.rank(query, 1)[0].capability.id == "light.bedroom"
    index.add(fan())
    assert index.rank(query, 1)[0].capability.id == "fan.bedroom"
    index.remove("fan.bedroom")
    assert index.rank(query, 1)[0].capability.id == "light.bedroom"
    assert "fan.bedroom" not in index
    assert len(index) == 2


def test_removal_keeps_every_other_row_exact(index: CapabilityIndex, embedder: Embedder) -> None:
    capabilities = [light(f"light.{i}", f"Lamp {i}", f"room {i}") for i in range(9)]
    for capability in capabilities:
        index.add(capability)
    index.remove("light.0")  # the last row moves into row 0
    index.remove("light.4")
    for capability in capabilities:
        if capability.id in ("light.0", "light.4"):
            continue
        vector = embedder.embed([capability_text(capability)])[0]
        hit = index.search(vector, 1, kinds=("capability",))[0]
        assert hit.capability_id == capability.id
        assert hit.score == pytest.approx(1.0, abs=1e-5)


def test_tools_shared_by_many_capabilities_are_embedded_once(
    index: CapabilityIndex,
) -> None:
    index.add(light("light.a", "Lamp A", "kitchen"))
    index.add(light("light.b", "Lamp B", "office"))
    stats = index.stats()
    assert (stats.capabilities, stats.pool_rows, stats.signatures) == (2, 3, 1)
    assert stats.embedded == 5  # two capability texts and three tool texts
    index.remove("light.a")
    index.remove("light.b")
    stats = index.stats()
    assert (stats.capabilities, stats.pool_rows, stats.signatures) == (0, 0, 0)


def test_an_update_that_keeps_the_text_embeds_nothing(index: CapabilityIndex) -> None:
    index.add(light("light.a", "Lamp A", "kitchen"))
    before = index.stats().embedded
    busy = light("light.a", "Lamp A", "kitchen")
    index.update(
        Capability(busy.id, busy.type, busy.name, area=busy.area, tools=busy.tools, load=0.9)
    )
    assert index.stats().embedded == before
    found = index.get("light.a")
    assert found is not None and found.load == 0.9
    index.update(light("light.a", "Lamp A", "office"))  # moved: the text changed
    assert index.stats().embedded == before + 1


def test_an_updated_tool_set_keeps_search_consistent(
    index: CapabilityIndex, embedder: Embedder
) -> None:
    index.add(light("light.a", "Lamp A", "kitchen"))
    index.add(light("light.a", "Lamp A", "kitchen"))  # same rows, re-registered
    hits = index.search(embedder.embed_one("switch the light off"), 10, kinds=("tool",))
    assert ("light.a", "turn_off") in {(h.capability_id, h.name) for h in hits}
    bare = Capability("light.a", "light", "Lamp A", area="kitchen", tools=LIGHT_TOOLS[:1])
    index.update(bare)
    hits = index.search(embedder.embed_one("switch the light off"), 10, kinds=("tool",))
    assert {h.name for h in hits} == {"turn_on"}
    assert index.stats().pool_rows == 1


def test_search_finds_triggers_by_their_filled_intent(
    index: CapabilityIndex, embedder: Embedder
) -> None:
    index.add(camera())
    index.add(lock())
    hits = index.search(embedder.embed_one("someone is at the porch door"), 3, kinds=("trigger",))
    assert [(h.kind, h.capability_id, h.name) for h in hits] == [
        ("trigger", "camera.porch", "person")
    ]
    mixed = index.search(embedder.embed_one("someone is at the porch door"), 3)
    assert mixed[0].kind == "trigger"
    assert [h.score for h in mixed] == sorted((h.score for h in mixed), reverse=True)


def test_rank_with_a_named_tool_ranks_only_its_owners(
    index: CapabilityIndex, embedder: Embedder
) -> None:
    index.add(light("light.a", "Lamp A", "kitchen"))
    index.add(fan())
    index.add(lock())
    owners = index.rank(embedder.embed_one("bedroom"), 5, tool="turn_on")
    assert [m.capability.id for m in owners] == ["fan.bedroom", "light.a"]
    assert all(m.tool == "turn_on" for m in owners)
    assert list(index.rank(embedder.embed_one("bedroom"), 5, tool="no_such_tool")) == []


def test_a_ranking_is_a_sequence_that_outlives_changes(
    index: CapabilityIndex, embedder: Embedder
) -> None:
    index.add(lock())
    index.add(fan())
    index.add(camera())
    ranking = index.rank(embedder.embed_one("lock the door"), 3)
    assert len(ranking) == 3
    assert ranking[0] is ranking[0]  # built once
    assert ranking[-1] is ranking[2]
    assert ranking[:2] == (ranking[0], ranking[1])
    with pytest.raises(IndexError):
        ranking[3]
    index.remove("lock.front")
    assert next(m.capability.id for m in ranking) == "lock.front"
    assert ranking[0].tool == "lock"


def test_tool_scores_of_one_capability(index: CapabilityIndex, embedder: Embedder) -> None:
    index.add(lock())
    scores = index.tool_scores(embedder.embed_one("unlock the door"), "lock.front")
    assert set(scores) == {"lock", "unlock"}
    assert scores["unlock"] > scores["lock"]
    assert index.tool_scores(embedder.embed_one("x"), "nothing") == {}


def test_the_matrix_grows_past_its_capacity(index: CapabilityIndex, embedder: Embedder) -> None:
    names = ["kitchen", "office", "garage", "attic", "cellar", "porch", "garden", "study"] * 5
    for i, area in enumerate(names):
        index.add(light(f"light.{i}", f"Lamp {i}", area))
    assert len(index) == 40
    top = index.rank(embedder.embed_one("the garage lamp"), 40)
    assert len(top) == 40
    assert top[0].capability.area == "garage"


def test_vectors_of_another_model_are_refused(index: CapabilityIndex) -> None:
    index.add(lock())
    alien = Vector("other-model", np.zeros(384, dtype=np.float32))
    with pytest.raises(ModelMismatch, match="'other-model'"):
        index.search(alien)
    with pytest.raises(ModelMismatch):
        index.rank(alien, 1)


def test_empty_index(index: CapabilityIndex, embedder: Embedder) -> None:
    assert list(index.rank(embedder.embed_one("anything"), 5)) == []
    assert index.search(embedder.embed_one("anything")) == ()
    assert index.capabilities() == ()


def test_follows_registry_events_until_cancelled(index: CapabilityIndex) -> None:
    bus = EventBus()
    cancel = index.attach(bus)
    bus.publish(CapabilityAdded(lock()))
    bus.publish(CapabilityAdded(fan()))
    assert [c.id for c in index.capabilities()] == ["lock.front", "fan.bedroom"]
    bus.publish(AvailabilityChanged("lock.front", False))
    found = index.get("lock.front")
    assert found is not None and not found.available
    bus.publish(CapabilityUpdated(lock()))
    found = index.get("lock.front")
    assert found is not None and found.available
    bus.publish(CapabilityRemoved("fan.bedroom"))
    assert "fan.bedroom" not in index
    cancel()
    bus.publish(CapabilityAdded(camera()))
    assert "camera.porch" not in index
    assert bus.errors == 0


def test_availability_of_a_queued_capability_is_kept(index: CapabilityIndex) -> None:
    index.add(lock())
    index.set_available("lock.front", False)  # before any read: still queued
    found = index.get("lock.front")
    assert found is not None and not found.available


def test_blocked_products_equal_the_plain_one() -> None:
    rng = np.random.default_rng(3)
    matrix = rng.random((2500, 384), dtype=np.float32)
    vector = rng.random(384, dtype=np.float32)
    np.testing.assert_allclose(_matvec(matrix, vector), matrix @ vector, rtol=1e-5)
    np.testing.assert_allclose(_matvec(matrix[:10], vector), matrix[:10] @ vector, rtol=1e-5)
