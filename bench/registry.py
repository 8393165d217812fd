"""`Registry.set_state` throughput: the hot path of every device update.

500 capabilities, one listener on the bus counting `StateChanged`, updates spread round
robin over the capabilities, the loop yielding to the event loop every `batch` updates
(as a busy receive loop would). Scenarios: in memory; with a real SQLite store written
behind, yielding every 500 updates (~3 ms, shorter than CPython's 5 ms GIL switch
interval) and every 5000 (~30 ms), with how long each write-behind save took while the
loop stayed saturated; updates that change nothing; whole-state replacement. Also the
time one flush of 500 dirty capabilities takes on an idle loop.

    python -m bench.registry [--capabilities 500] [--seconds 2] [--flush-interval 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench.report import report
from hub.events import EventBus, StateChanged
from hub.model import Capability, NodeId
from hub.registry import Registry
from hub.store import Store

NODE = NodeId("benchnode")


class TimedStore(Store):
    """The real store, remembering how long each capability save took (seconds)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.saves: list[float] = []

    async def save_capabilities(self, caps: Iterable[Capability]) -> None:
        start = time.perf_counter()
        await super().save_capabilities(caps)
        self.saves.append(time.perf_counter() - start)


def capabilities(n: int) -> list[Capability]:
    return [
        Capability(id=f"light.bench_{i}", type="light", name=f"Bench {i}", area="lab")
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


async def flush_cost(caps: list[Capability], path: Path, rounds: int) -> dict[str, float]:
    """Milliseconds to write all capabilities dirty at once (one transaction)."""
    times = []
    async with Store(path) as store:
        registry = Registry(EventBus(), node_id=NODE, store=store)
        for cap in caps:
            registry.add(cap)
        for r in range(rounds):
            for cap in caps:
                registry.set_state(cap.id, {"brightness": r})
            start = time.perf_counter()
            await registry.flush()
            times.append((time.perf_counter() - start) * 1000)
    return {
        "capabilities": len(caps),
        "median_ms": round(statistics.median(times), 2),
        "max_ms": round(max(times), 2),
    }


async def main(args: argparse.Namespace) -> None:
    caps = capabilities(args.capabilities)
    seconds, interval = args.seconds, args.flush_interval
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["memory"] = await scenario("merge", caps, seconds)
        for batch in (500, 5000):
            async with TimedStore(Path(tmp) / f"hub{batch}.db") as store:
                results[f"sqlite_write_behind_yield_{batch}"] = await scenario(
                    "merge", caps, seconds, batch=batch, store=store, interval=interval
                )
        results["unchanged"] = await scenario("unchanged", caps, seconds)
        results["replace"] = await scenario("replace", caps, seconds)
        flush = await flush_cost(caps, Path(tmp) / "flush.db", rounds=20)

    def saves(r: dict[str, Any]) -> str:
        ms = r["save_ms_under_load"]
        return f"{len(ms)}, max {max(ms):.0f} ms" if ms else "-"

    rows = [
        [name, f"{r['updates_per_s']:,}", f"{r['us_per_update']:.2f}", saves(r)]
        for name, r in results.items()
    ]
    rows.append(
        [
            f"flush of {flush['capabilities']} dirty (idle loop)",
            "",
            "",
            f"{flush['median_ms']:.1f} ms median, max {flush['max_ms']:.1f} ms",
        ]
    )
    report(
        "registry",
        parameters={
            "capabilities": args.capabilities,
            "seconds_per_scenario": seconds,
            "flush_interval_s": interval,
            "listeners": 1,
        },
        figures={**results, "flush": flush},
        header=["scenario", "updates/s", "us/update", "saves during run"],
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
    asyncio.run(main(parser.parse_args()))
