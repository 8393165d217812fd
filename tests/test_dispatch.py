"""Dispatch: executing routing decisions across real hubs on a real Mosquitto.

A (the caller) dispatches work to B and C, both mesh peers with node tokens. Both sides of
the guarantee are checked: every unit has exactly one outcome at the caller, and a
provider runs a unit's key at most once (handler invocations are counted)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hub.clock import SystemClock
from hub.dispatch import DispatchConfig, Dispatcher
from hub.errors import CallTimeout, NoCapableNode, ToolError
from hub.mesh.tokens import create_root_key, encode_public_key
from hub.model import Capability, NodeId, Tool, ToolResult, WorkUnit
from hub.routing import Candidate, Decision, GradientTable
from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.hubs import hub_config
from tests.test_mesh_peers import admit, node_token
from tests.waiting import eventually

WORK = Capability(id="work.echo", type="work", name="Echo", tools=(Tool("run"),))


@dataclass
class Provider:
    """A provider's tool handler: counts its runs per unit number; stalls while told to."""

    name: str
    runs: Counter[int] = field(default_factory=Counter)
    stall: bool = False
    release: asyncio.Event = field(default_factory=asyncio.Event)
    stall_after: int | None = None
    """Stall every unit after this many runs (and set `stalled`)."""
    stalled: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        n = int(arguments["n"])
        self.runs[n] += 1
        if arguments.get("fail"):
            raise RuntimeError(f"{self.name} cannot do {n}")
        if self.stall_after is not None and sum(self.runs.values()) > self.stall_after:
            self.stalled.set()
            await asyncio.Event().wait()  # never answers
        if self.stall:
            await self.release.wait()
        return ToolResult(value={"n": n, "by": self.name})


@dataclass
class Mesh:
    a: Hub
    b: Hub
    c: Hub
    on_b: Provider
    on_c: Provider
    c_stack: AsyncExitStack

    def candidate(self, hub: Hub, score: float = 0.9, capability: Capability = WORK) -> Candidate:
        return Candidate(hub.node_id, replace(capability, node=hub.node_id), "run", score, ())


@asynccontextmanager
async def mesh(tmp_path: Path, broker: Mosquitto) -> AsyncIterator[Mesh]:
    root, _ = create_root_key(tmp_path / "root")
    section = {"root_key": encode_public_key(root.public_key)}
    for name in "abc":
        admit(root, tmp_path / name, lambda ident: node_token(root, ident, ["*"]))
    on_b, on_c = Provider("b"), Provider("c")
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(
            Hub(hub_config(tmp_path / "a", broker.host, broker.port, mesh=section))
        )
        b = await stack.enter_async_context(
            Hub(hub_config(tmp_path / "b", broker.host, broker.port, mesh=section))
        )
        b.registry.add(replace(WORK, node=b.node_id), on_b)
        c_stack = await stack.enter_async_context(AsyncExitStack())
        c = await c_stack.enter_async_context(
            Hub(hub_config(tmp_path / "c", broker.host, broker.port, mesh=section))
        )
        c.registry.add(replace(WORK, node=c.node_id), on_c)
        yield Mesh(a, b, c, on_b, on_c, c_stack)


def decision(m: Mesh, n: int, *candidates: Candidate, seconds: float = 4.0,
             key: str = "", **arguments: Any) -> Decision:
    work = WorkUnit(capability=WORK.id, tool="run", arguments={"n": n, **arguments},
                    deadline=m.a.clock.monotonic() + seconds, key=key)
    return Decision(work=work, candidates=candidates)


async def test_a_stalled_provider_fails_over_and_answers_once(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    async with mesh(tmp_path, mosquitto) as m:
        gradient = GradientTable(SystemClock())
        for hub in (m.b, m.c):
            gradient.advertise("work.run", NodeId(hub.node_id), 1, 10.0)
        dispatcher = Dispatcher(m.a._rpc.call, node=m.a.node_id, clock=m.a.clock,
                                gradient=gradient)
        m.on_b.stall = True

        outcome = await dispatcher.execute(decision(m, 1, m.candidate(m.b), m.candidate(m.c)))

        # B stalled past its share of the budget (half of 4 s): C answered
        assert outcome.ok and outcome.node == m.c.node_id
        assert outcome.unwrap().value == {"n": 1, "by": "c"}
        assert [a.node for a in outcome.attempts] == [m.b.node_id, m.c.node_id]
        assert outcome.attempts[0].error.startswith("CallTimeout: no reply from node")
        assert dispatcher.failovers == 1
        b_route = gradient.entry("work.run", NodeId(m.b.node_id))
        c_route = gradient.entry("work.run", NodeId(m.c.node_id))
        assert b_route is not None and b_route.score < 0.8  # penalised
        assert c_route is not None and c_route.score > 0.8 and c_route.measured  # reinforced

        # B answers later, within the unit's budget that travelled with the request: the
        # caller drops the reply; the outcome it returned is the only one
        m.on_b.release.set()
        await eventually(lambda: m.a.rpc_counters()["client"]["late"] == 1)
        assert m.on_b.runs[1] == 1 and m.on_c.runs[1] == 1

        # a retry with the same key on B is answered from B's cache: no second run
        again = await dispatcher.execute(decision(m, 1, m.candidate(m.b), key=outcome.key))
        assert again.unwrap().value == {"n": 1, "by": "b"}
        assert m.on_b.runs[1] == 1
        assert m.b.rpc_counters()["server"]["cached"] == 1


async def test_a_repeat_while_running_joins_the_run(tmp_path: Path, mosquitto: Mosquitto) -> None:
    async with mesh(tmp_path, mosquitto) as m:
        dispatcher = Dispatcher(m.a._rpc.call, node=m.a.node_id, clock=m.a.clock)
        m.on_b.stall = True
        unit = decision(m, 7, m.candidate(m.b), key="unit-7")
        first = asyncio.create_task(dispatcher.execute(unit))
        await eventually(lambda: m.on_b.runs[7] == 1)
        second = asyncio.create_task(dispatcher.execute(unit))
        await eventually(lambda: m.b.rpc_counters()["server"]["requests"] == 2)
        m.on_b.release.set()
        outcomes = await asyncio.gather(first, second)
        assert [o.unwrap().value for o in outcomes] == [{"n": 7, "by": "b"}] * 2
        assert m.on_b.runs[7] == 1


async def test_failover_on_a_missing_capability_but_not_on_a_tool_error(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    async with mesh(tmp_path, mosquitto) as m:
        dispatcher = Dispatcher(m.a._rpc.call, node=m.a.node_id, clock=m.a.clock)
        gone = replace(WORK, id="work.gone")
        outcome = await dispatcher.execute(
            decision(m, 2, m.candidate(m.b, capability=gone), m.candidate(m.c))
        )
        assert outcome.node == m.c.node_id
        assert outcome.attempts[0].error == (
            f"RegistryError: no capability work.gone on {m.b.node_id}"
        )

        # the tool ran on B and failed: C would be asked to do the same, so it is not
        failed = await dispatcher.execute(
            decision(m, 3, m.candidate(m.b), m.candidate(m.c), fail=True)
        )
        assert isinstance(failed.error, ToolError)
        assert str(failed.error) == "b cannot do 3"
        assert failed.node == m.b.node_id and len(failed.attempts) == 1
        assert m.on_c.runs[3] == 0


async def test_every_candidate_stalled_is_one_timeout_naming_them(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    async with mesh(tmp_path, mosquitto) as m:
        dispatcher = Dispatcher(m.a._rpc.call, node=m.a.node_id, clock=m.a.clock)
        m.on_b.stall = m.on_c.stall = True
        outcome = await dispatcher.execute(
            decision(m, 4, m.candidate(m.b), m.candidate(m.c), seconds=1.0, key="k4")
        )
        assert isinstance(outcome.error, CallTimeout)
        assert str(outcome.error).startswith(
            "work.echo/run (key k4): every candidate failed or the deadline passed; tried 2 of 2: "
            f"{m.b.node_id} (CallTimeout: no reply from node {m.b.node_id}"
        )
        m.on_b.release.set()
        m.on_c.release.set()


async def test_a_thousand_units_with_a_provider_stopped_midway(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    async with mesh(tmp_path, mosquitto) as m:
        dispatcher = Dispatcher(m.a._rpc.call, node=m.a.node_id, clock=m.a.clock,
                                config=DispatchConfig(attempt_timeout=8.0, max_parallel=200))
        m.on_c.stall_after = 150  # C takes 150 units, then hangs until it is stopped
        units = [decision(m, n, m.candidate(m.b), m.candidate(m.c), seconds=30.0)
                 for n in range(1000)]
        running = asyncio.create_task(dispatcher.execute_parallel(units))
        await m.on_c.stalled.wait()
        await m.c_stack.aclose()  # C stops with units in flight and more on the way

        outcomes = await running

        assert len(outcomes) == 1000
        assert [o.unwrap().value["n"] for o in outcomes] == list(range(1000))  # in order
        assert {o.node for o in outcomes} == {m.b.node_id, m.c.node_id}  # spread over both
        assert max(m.on_b.runs.values()) == 1 and max(m.on_c.runs.values()) == 1
        assert dispatcher.failovers > 0
        assert len({o.key for o in outcomes}) == 1000


async def test_without_failover_only_the_best_is_tried_and_no_candidate_is_an_error(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    async with mesh(tmp_path, mosquitto) as m:
        dispatcher = Dispatcher(m.a._rpc.call, node=m.a.node_id, clock=m.a.clock)
        m.on_b.stall = True
        outcome = await dispatcher.execute(
            decision(m, 5, m.candidate(m.b), m.candidate(m.c), seconds=1.0), failover=False
        )
        assert isinstance(outcome.error, CallTimeout)
        assert [a.node for a in outcome.attempts] == [m.b.node_id]
        assert m.on_c.runs[5] == 0
        m.on_b.release.set()

        nobody = await dispatcher.execute(decision(m, 6))
        assert isinstance(nobody.error, NoCapableNode) and nobody.attempts == ()
