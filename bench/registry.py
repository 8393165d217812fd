"""`Registry.set_state` throughput (the hot path of every device update) and what a
write-behind flush costs the event loop.

Throughput: `--capabilities` lights (with the light domain's standard tools), one
listener on the bus counting `StateChanged`, updates spread round robin over the
capabilities, the loop yielding to the event loop every `batch` updates (as a busy
receive loop would). Scenarios: in memory; with a real SQLite store written behind,
yielding every 500 updates (~3 ms, shorter than CPython's 5 ms GIL switch interval) and
every 5000 (~30 ms), with how long each store job of a flush took while the loop stayed
saturated; updates that change nothing; whole-state replacement.

Flush: `--flush-capabilities` lights all dirty at once on an otherwise idle loop, either
by a state change each (the usual flush) or by re-registration (every definition
rewritten, tool schemas included). Per flush: the loop's own share (from calling
`flush()` to the store job being queued), the whole flush, and how late a 1 ms timer on
the loop fired meanwhile (GIL waits included: the store's thread encodes while holding
the GIL, and the loop can only take it back at the 5 ms switch interval).

    python -m bench.registry [--capabilities 500] [--seconds 2] [--flush-interval 0.5]
                             [--flush-capabilities 1000] [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from bench.report import report
from hub.domains import standard_tools
from hub.events import EventBus, StateChanged
from hub.model import Capability, NodeId
from hub.registry import Registry
from hub.store import Store

NODE = NodeId("benchnode")
T = TypeVar("T")


class TimedStore(Store):
    """The real store, noting when each job was queued and how long it took (seconds).

    `Store.run` is where every store operation enters the worker's queue, so the time
    until it is called is the caller's share on the event loop."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.queued: list[float] = []
        self.saves: list[float] = []

    async def run(self, what: str, fn: Callable[[sqlite3.Connection], T]) -> T:
        start = time.perf_counter()
        self.queued.append(start)
        try:
            return await super().run(what, fn)
        finally:
            if what.startswith("save"):
                self.saves.append(time.perf_counter() - start)


def capabilities(n: int) -> list[Capability]:
    tools = standard_tools("light")
    return [
        Capability(id=f"light.bench_{i}", type="light", name=f"Bench {i}", area="lab", tools=tools)
        for i in range(n)
    ]


async def run_updates(
    registry: Registry, ids: list[str], seconds: float, mode: str, batch: int
) -> tuple[int, float]:
    """Update for about `seconds`; returns (updates, elapsed)."""
    n = len(ids)
    done = 0
    start = time.perf_counter()
    deadline = start + seconds
    set_state = registry.set_state
    while time.perf_counter() < deadline:
        for k in range(done, done + batch):
            cap_id = ids[k % n]
            if mode == "unchanged":
                set_state(cap_id, {"state": "on"})
            elif mode == "replace":
                set_state(cap_id, {"state": "on", "brightness": k}, replace=True)
            else:
                set_state(cap_id, {"brightness": k})
        done += batch
        await asyncio.sleep(0)
    return done, time.perf_counter() - start


async def scenario(
    mode: str,
    caps: list[Capability],
    seconds: float,
    *,
    batch: int = 500,
    store: TimedStore | None = None,
    interval: float = 2.0,
) -> dict[str, Any]:
    bus = EventBus()
    seen = 0

    def listener(event: StateChanged) -> None:
        nonlocal seen
        seen += 1

    bus.listen(StateChanged, listener)
    async with Registry(bus, node_id=NODE, store=store, flush_interval=interval) as registry:
        for cap in caps:
            registry.add(cap)
            registry.set_state(cap.id, {"state": "on"})
        seen = 0
        if store is not None:
            await registry.flush()
            store.saves.clear()
        updates, elapsed = await run_updates(registry, [c.id for c in caps], seconds, mode, batch)
        # saves that completed while the loop was saturated (not the one on exit)
        saves = [round(s * 1000, 1) for s in store.saves] if store is not None else []
    expected = 0 if mode == "unchanged" else updates
    if seen != expected:
        raise SystemExit(f"{mode}: the listener saw {seen} events, expected {expected}")
    return {
        "batch": batch,
        "updates": updates,
        "seconds": round(elapsed, 3),
        "updates_per_s": round(updates / elapsed),
        "us_per_update": round(elapsed / updates * 1e6, 2),
        "events": seen,
        "saves_under_load": len(saves),
        "save_ms_under_load": saves,
    }


async def lateness(found: list[float], tick: float = 0.001) -> None:
    """How late (seconds) a `tick` timer fires, again and again: the loop's stalls."""
    loop = asyncio.get_running_loop()
    while True:
        start = loop.time()
        await asyncio.sleep(tick)
        found.append(max(0.0, loop.time() - start - tick))


async def flush_cost(caps: list[Capability], path: Path, rounds: int, kind: str) -> dict[str, Any]:
    """Every capability dirty at once (`kind`: a state change each, or re-registered),
    then one flush on an idle loop; milliseconds, median and max over `rounds`."""
    loop_ms, total_ms, late_ms = [], [], []
    async with TimedStore(path) as store:
        registry = Registry(EventBus(), node_id=NODE, store=store)
        for cap in caps:
            registry.add(cap)
        await registry.flush()
        for r in range(rounds):
            for cap in caps:
                if kind == "states":
                    registry.set_state(cap.id, {"state": "on", "brightness": r})
                else:
                    registry.add(dataclasses.replace(cap, name=f"{cap.name} r{r}"))
            late: list[float] = []
            probe = asyncio.create_task(lateness(late))
            await asyncio.sleep(0.005)  # the probe is ticking
            store.queued.clear()
            start = time.perf_counter()
            await registry.flush()
            total_ms.append((time.perf_counter() - start) * 1000)
            loop_ms.append((store.queued[0] - start) * 1000)
            await asyncio.sleep(0.002)  # a tick that was due during the flush lands
            probe.cancel()
            await asyncio.wait([probe])
            late_ms.append(max(late, default=0.0) * 1000)

    def summary(values: list[float]) -> dict[str, float]:
        return {"median": round(statistics.median(values), 2), "max": round(max(values), 2)}

    return {
        "capabilities": len(caps),
        "kind": kind,
        "rounds": rounds,
        "loop_share_ms": summary(loop_ms),
        "flush_ms": summary(total_ms),
        "timer_late_ms": summary(late_ms),
    }


async def main(args: argparse.Namespace) -> None:
    caps = capabilities(args.capabilities)
    seconds, interval = args.seconds, args.flush_interval
    results: dict[str, dict[str, Any]] = {}
    flushes: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["memory"] = await scenario("merge", caps, seconds)
        for batch in (500, 5000):
            async with TimedStore(Path(tmp) / f"hub{batch}.db") as store:
                results[f"sqlite_write_behind_yield_{batch}"] = await scenario(
                    "merge", caps, seconds, batch=batch, store=store, interval=interval
                )
        results["unchanged"] = await scenario("unchanged", caps, seconds)
        results["replace"] = await scenario("replace", caps, seconds)
        many = capabilities(args.flush_capabilities)
        for kind in ("states", "definitions"):
            flushes[kind] = await flush_cost(many, Path(tmp) / f"{kind}.db", args.rounds, kind)

    def saves(r: dict[str, Any]) -> str:
        ms = r["save_ms_under_load"]
        return f"{len(ms)}, max {max(ms):.0f} ms" if ms else "-"

    def ms(figure: dict[str, float]) -> str:
        return f"{figure['median']:.2f}/{figure['max']:.2f}"

    rows = [
        [name, f"{r['updates_per_s']:,}", f"{r['us_per_update']:.2f}", saves(r)]
        for name, r in results.items()
    ]
    rows += [
        [
            f"flush of {f['capabilities']} dirty {kind} (idle loop)",
            "",
            "",
            (
                f"loop {ms(f['loop_share_ms'])}, flush {ms(f['flush_ms'])},"
                f" 1 ms timer late {ms(f['timer_late_ms'])} ms (median/max)"
            ),
        ]
        for kind, f in flushes.items()
    ]
    report(
        "registry",
        parameters={
            "capabilities": args.capabilities,
            "seconds_per_scenario": seconds,
            "flush_interval_s": interval,
            "listeners": 1,
            "flush_capabilities": args.flush_capabilities,
            "flush_rounds": args.rounds,
            "tools": "the light domain's standard tools",
        },
        figures={**results, "flush": flushes},
        header=["scenario", "updates/s", "us/update", "store saves during run / flush"],
        rows=rows,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capabilities", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument(
        "--flush-interval",
        type=float,
        default=0.5,
        help="write-behind interval for the SQLite scenarios (the hub's default is 2 s)",
    )
    parser.add_argument("--flush-capabilities", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20, help="flushes measured per kind")
    asyncio.run(main(parser.parse_args()))
