import asyncio

from hub.clock import ManualClock
from hub.events import CapabilityRemoved, Event, EventBus, StateChanged


def test_manual_clock_runs_due_callbacks_in_order() -> None:
    clock = ManualClock()
    fired: list[str] = []
    clock.call_at(2.0, lambda: fired.append("b"))
    clock.call_at(1.0, lambda: fired.append("a"))
    cancel = clock.call_at(1.5, lambda: fired.append("cancelled"))
    cancel()
    clock.advance(1.0)
    assert fired == ["a"]
    clock.advance(5.0)
    assert fired == ["a", "b"]
    assert clock.monotonic() == 6.0


async def test_manual_clock_sleep_wakes_on_advance() -> None:
    clock = ManualClock()
    sleeper = asyncio.create_task(clock.sleep(10))
    await asyncio.sleep(0)
    clock.advance(9)
    await asyncio.sleep(0)
    assert not sleeper.done()
    clock.advance(1)
    await asyncio.wait_for(sleeper, 1)


def test_bus_delivers_by_type_and_survives_a_broken_listener() -> None:
    bus = EventBus()
    states: list[Event] = []
    everything: list[Event] = []

    def broken(event: Event) -> None:
        raise RuntimeError("boom")

    bus.listen(StateChanged, broken)
    bus.listen(StateChanged, states.append)
    cancel = bus.listen(Event, everything.append)
    bus.publish(StateChanged("light.a", {}, {"state": "on"}))
    bus.publish(CapabilityRemoved("light.a"))
    cancel()
    bus.publish(CapabilityRemoved("light.b"))
    assert [type(e) for e in states] == [StateChanged]
    assert len(everything) == 2
    assert bus.errors == 1


async def test_bus_subscription_is_bounded() -> None:
    bus = EventBus()
    async with bus.subscribe(StateChanged, maxsize=2) as events:
        for i in range(3):
            bus.publish(StateChanged(f"s{i}", {}, {}))
        first = await anext(events)
        assert isinstance(first, StateChanged) and first.capability_id == "s1"
    assert bus.dropped == 1
