"""Dispatching many units across providers: throughput and per-unit latency.

Three hubs with node tokens of one mesh on one Mosquitto (started here, loopback): A
dispatches `--units` work units with `execute_parallel` over B and C (equal scores, so the
units spread by what is in flight), each unit with an idempotency key that B's and C's
result caches keep. Reported: wall time, units per second, each unit's latency p50/p95
(its calls' time, from sending the request to the outcome; not the wait for a slot), and how
the units split between the providers. A second run repeats the same keys: every unit is
answered from the providers' caches.

    python -m bench.mesh_dispatch [--units 1000] [--parallel 256]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.report import report
from hub.dispatch import DispatchConfig, Dispatcher
from hub.identity import load_or_create_identity
from hub.mesh.tokens import create_root_key, encode_public_key
from hub.mesh.trust import MESH_DIR, NODE_TOKEN_FILE
from hub.model import Capability, Tool, ToolResult, WorkUnit
from hub.routing import Candidate, Decision
from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.hubs import hub_config

WORK = Capability(id="work.echo", type="work", name="Echo", tools=(Tool("run"),))


async def echo(tool: str, arguments: Mapping[str, Any]) -> ToolResult:
    return ToolResult(value={"n": arguments["n"]})


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-mesh-dispatch-") as tmp:
        base = Path(tmp)
        root, _ = create_root_key(base / "root")
        section = {"root_key": encode_public_key(root.public_key)}
        for name in "abc":
            identity = load_or_create_identity(base / name / "data")
            folder = base / name / "data" / MESH_DIR
            folder.mkdir(parents=True, exist_ok=True)
            (folder / NODE_TOKEN_FILE).write_text(root.issue(
                identity.public_key, ["*"], now=datetime.now(UTC) - timedelta(hours=1),
                lifetime=timedelta(days=1)))
            (folder / NODE_TOKEN_FILE).chmod(0o600)
        broker = Mosquitto(base / "mosquitto")
        broker.start()
        try:
            async with AsyncExitStack() as stack:
                hubs = [
                    await stack.enter_async_context(
                        Hub(hub_config(base / name, broker.host, broker.port, mesh=section))
                    )
                    for name in "abc"
                ]
                a, b, c = hubs
                for provider in (b, c):
                    provider.registry.add(replace(WORK, node=provider.node_id), echo)
                dispatcher = Dispatcher(
                    a._rpc.call, node=a.node_id, clock=a.clock,
                    config=DispatchConfig(max_parallel=args.parallel),
                )
                candidates = tuple(
                    Candidate(h.node_id, replace(WORK, node=h.node_id), "run", 0.9, ())
                    for h in (b, c)
                )
                rows, figures = [], {}
                for label in ("fresh keys", "same keys again (cached)"):
                    deadline = a.clock.monotonic() + 60
                    decisions = [
                        Decision(WorkUnit(capability=WORK.id, tool="run", arguments={"n": n},
                                          deadline=deadline, key=f"unit-{n}"), candidates)
                        for n in range(args.units)
                    ]
                    started = time.perf_counter()
                    outcomes = await dispatcher.execute_parallel(decisions)
                    wall = time.perf_counter() - started
                    done = [sum(attempt.ms for attempt in o.attempts) for o in outcomes]
                    assert all(o.ok for o in outcomes)
                    split = Counter(o.node for o in outcomes)
                    done.sort()
                    p50 = statistics.median(done)
                    p95 = done[int(0.95 * (len(done) - 1))]
                    share = f"{split[b.node_id]} / {split[c.node_id]}"
                    rows.append([label, f"{wall * 1000:.0f}", f"{args.units / wall:.0f}",
                                 f"{p50:.1f}", f"{p95:.1f}", share])
                    figures[label] = {"wall_ms": round(wall * 1000, 1),
                                      "units_per_s": round(args.units / wall),
                                      "p50_ms": round(p50, 2), "p95_ms": round(p95, 2),
                                      "b_c": [split[b.node_id], split[c.node_id]]}
                cached = b.rpc_counters()["server"]["cached"] + c.rpc_counters()["server"]["cached"]
                figures["cached_answers"] = cached
        finally:
            broker.stop()
    report("mesh_dispatch", {"units": args.units, "parallel": args.parallel}, figures,
           ["run", "wall ms", "units/s", "p50 ms", "p95 ms", "B / C"], rows)
    print(f"answered from the providers' caches on the second run: {figures['cached_answers']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--parallel", type=int, default=256)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
