import asyncio

import pytest

from hub.clock import ManualClock
from hub.devices import Confirmations, TriggerFiring, fill
from hub.errors import ToolError
from hub.events import EventBus, TriggerFired
from hub.model import Trigger


async def test_confirmation_resolves_on_matching_state() -> None:
    confirm = Confirmations()
    sent: list[str] = []

    def send() -> None:
        sent.append("set")
        asyncio.get_running_loop().call_soon(confirm.resolve, {"state": "off"})
        asyncio.get_running_loop().call_soon(confirm.resolve, {"state": "on"})

    state = await confirm.wait(lambda s: s.get("state") == "on", send, 1.0, "light.a/turn_on")
    assert state == {"state": "on"} and sent == ["set"] and len(confirm) == 0


async def test_confirmation_times_out_with_a_clear_error() -> None:
    confirm = Confirmations()
    with pytest.raises(ToolError, match=r"light.a/turn_on: the device did not confirm within 0.05 s"):
        await confirm.wait(lambda s: True, lambda: None, 0.05, "light.a/turn_on")
    assert len(confirm) == 0


def test_trigger_throttle_and_intent() -> None:
    bus, clock = EventBus(), ManualClock()
    fired: list[TriggerFired] = []
    bus.listen(TriggerFired, fired.append)
    firing = TriggerFiring(bus, clock)
    trigger = Trigger("person", intent="person at {area} door", priority=2, throttle=10)
    assert firing.fire("camera.front", trigger, {"score": 0.9}, area="front")
    clock.advance(5)
    assert not firing.fire("camera.front", trigger, area="front")
    assert firing.fire("camera.back", trigger, area="back")  # throttled per capability
    clock.advance(5)
    assert firing.fire("camera.front", trigger, area="front")
    assert [e.intent for e in fired] == ["person at front door", "person at back door",
                                         "person at front door"]
    assert fired[0].priority == 2 and fired[0].payload == {"score": 0.9}
    assert firing.throttled == 1


def test_fill_keeps_unknown_placeholders_and_stray_braces() -> None:
    assert fill("{label} in {zone}", {"label": "car"}) == "car in {zone}"
    assert fill("odd { brace", {}) == "odd { brace"


async def test_a_device_holds_a_bounded_number_of_commands_waiting() -> None:
    confirm = Confirmations(max_waiting=3)
    waiting = [asyncio.ensure_future(confirm.wait(lambda s, i=i: s.get("n") == i, lambda: None,
                                                  5.0, f"light.a/turn_on #{i}"))
               for i in range(3)]
    await asyncio.sleep(0)  # let them start listening
    assert len(confirm) == 3
    with pytest.raises(ToolError, match=r"^light.a/turn_on: 3 commands to this device are "
                                        r"already waiting for its confirmation; try again"):
        await confirm.wait(lambda s: True, lambda: None, 5.0, "light.a/turn_on")
    assert confirm.refused == 1
    for i in range(3):
        confirm.resolve({"n": i})
    assert [await w for w in waiting] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert len(confirm) == 0


def test_throttles_are_remembered_for_a_bounded_number_of_capabilities() -> None:
    bus, clock = EventBus(), ManualClock()
    firing = TriggerFiring(bus, clock, max_throttled=100)
    throttled = Trigger("motion", intent="motion", throttle=10)
    free = Trigger("button", intent="press")
    for i in range(10_000):  # capabilities come and go: ids from the network
        assert firing.fire(f"binary_sensor.m{i}", throttled)
        assert firing.fire(f"event.b{i}", free)
    assert len(firing) == 100 and firing.forgotten == 9_900
    assert not firing.fire("binary_sensor.m9999", throttled)  # the recent ones still hold
    assert firing.fire("event.b1", free) and firing.fire("event.b1", free)  # no throttle
