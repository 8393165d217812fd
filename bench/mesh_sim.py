"""The gossip simulator: how fast an update spreads and how well failures are detected.

    python -m bench.mesh_sim [--quick]

1. Dissemination: rounds (gossip intervals) until every node knows one update (a node's
   new incarnation), at N = 100 and 1,000 with the real protocol code (`Membership` on
   `SimNetwork`, ManualClock, gossip rounds driven one by one), and at N = 100 to 100,000
   with a lean model of the same mechanism (numpy arrays: who knows, how often each has
   sent it; the fanout and the retransmit limit from `GossipConfig`): 0 % and 5 % loss.
   The seed's design needed 7 rounds at 100 nodes and 14 at 10,000.
2. Failure detection with the real protocol at N = 100 and 0, 5, 10 % loss (LAN
   profile): one node crashes; seconds until the first member suspects it, the first
   declares it dead, and all declare it dead; false positives = suspicions and deaths of
   live nodes over the whole run (distinct suspicions, and how many member views saw one;
   every one of them refuted unless counted under false deaths).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from contextlib import AsyncExitStack
from dataclasses import replace
from typing import Any

import numpy as np

from bench.report import report
from hub.clock import ManualClock
from hub.events import Event, EventBus, MemberDead, MemberSuspect
from hub.mesh import GossipConfig, Membership, SimNetwork, Status
from hub.model import NodeId

CONFIG = GossipConfig.lan()


def lean_rounds(n: int, loss: float, seed: int, config: GossipConfig = CONFIG) -> int:
    """Rounds until all `n` know the update, in the lean model (-1: never, within 200)."""
    rng = np.random.default_rng(seed)
    limit = config.retransmit_limit(n)
    knows = np.zeros(n, dtype=bool)
    sent = np.zeros(n, dtype=np.int32)
    knows[0] = True
    for round_ in range(1, 201):
        senders = np.flatnonzero(knows & (sent < limit))
        if senders.size == 0:
            return -1
        learnt = np.zeros(n, dtype=bool)
        for _ in range(config.gossip_nodes):
            active = senders[sent[senders] < limit]
            if active.size == 0:
                break
            targets = rng.integers(0, n - 1, size=active.size)
            targets += targets >= active  # anyone but oneself
            if loss:
                targets = targets[rng.random(targets.size) >= loss]
            learnt[targets] = True
            sent[active] += 1
        knows |= learnt
        if knows.all():
            return round_
    return -1


async def protocol_rounds(n: int, loss: float, seed: int) -> tuple[int, float]:
    """Rounds (and simulated seconds) until all `n` know node 0's new incarnation,
    with the real Membership code, gossip rounds driven one at a time."""
    clock = ManualClock()
    network = SimNetwork(clock, loss=loss, latency=0.005, seed=seed)
    names = [NodeId(f"n{i:06d}") for i in range(n)]
    config = replace(CONFIG, pushpull_interval=0)
    async with AsyncExitStack() as stack:
        nodes = []
        for i, name in enumerate(names):
            transport = await stack.enter_async_context(network.transport(name))
            member = Membership(name, transport, clock=clock, config=config, seed=seed + i, loops=False)
            member.seed(names)
            nodes.append(await stack.enter_async_context(member))
        await network.run(1.0, step=0.05)  # the start-up announcements settle
        while sum([await member.gossip() for member in nodes]):  # and their own alives
            await network.run(config.gossip_interval, step=config.gossip_interval)
        nodes[0].update_meta("v2")
        start = clock.monotonic()
        for round_ in range(1, 101):
            for member in nodes:
                await member.gossip()
            await network.run(config.gossip_interval, step=config.gossip_interval)
            known = sum(1 for m in nodes if (s := m.member(names[0])) and s.incarnation == 1)
            if known == n:
                return round_, clock.monotonic() - start
    return -1, clock.monotonic() - start


async def detection(n: int, loss: float, seed: int, warmup: float, limit: float) -> dict[str, Any]:
    clock = ManualClock()
    network = SimNetwork(clock, loss=loss, latency=0.005, jitter=0.005, seed=seed)
    names = [NodeId(f"n{i:04d}") for i in range(n)]
    victim = names[n // 2]
    seen: list[tuple[NodeId, Event, float]] = []
    async with AsyncExitStack() as stack:
        nodes: dict[NodeId, Membership] = {}
        for i, name in enumerate(names):
            bus = EventBus()
            bus.listen(Event, lambda e, name=name: seen.append((name, e, clock.monotonic())))
            transport = await stack.enter_async_context(network.transport(name))
            member = Membership(name, transport, clock=clock, config=CONFIG, bus=bus, seed=seed * 7919 + i)
            member.seed(names)
            nodes[name] = await stack.enter_async_context(member)
        await network.run(warmup, step=0.02)
        network.kill(victim)
        killed = clock.monotonic()
        first_suspect = first_dead = all_dead = None
        while clock.monotonic() - killed < limit:
            await network.run(0.5, step=0.02)
            about = [(o, e, t) for o, e, t in seen if e.node == victim and o != victim and t >= killed]  # type: ignore[attr-defined]
            if first_suspect is None and any(isinstance(e, MemberSuspect) for _, e, _ in about):
                first_suspect = min(t for _, e, t in about if isinstance(e, MemberSuspect)) - killed
            if first_dead is None and any(isinstance(e, MemberDead) for _, e, _ in about):
                first_dead = min(t for _, e, t in about if isinstance(e, MemberDead)) - killed
            if all(
                (m := nodes[o].member(victim)) is not None and m.status is Status.DEAD
                for o in names if o != victim
            ):
                all_dead = max(t for _, e, t in about if isinstance(e, MemberDead)) - killed
                break
        live = set(names) - {victim}
        false_suspect = sum(
            1 for o, e, _ in seen if o in live and isinstance(e, MemberSuspect) and e.node in live
        )
        distinct = len({
            (e.node, e.incarnation)  # type: ignore[attr-defined]
            for o, e, _ in seen if o in live and isinstance(e, MemberSuspect) and e.node in live
        })
        false_dead = sum(1 for o, e, _ in seen if o in live and isinstance(e, MemberDead) and e.node in live)
        return {
            "n": n, "loss": loss, "first_suspect_s": first_suspect, "first_dead_s": first_dead,
            "all_dead_s": all_dead, "false_suspicions": false_suspect,
            "false_suspicions_distinct": distinct, "false_deaths": false_dead,
            "simulated_s": round(clock.monotonic(), 1), "packets": network.sent,
        }


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


async def main(quick: bool) -> None:
    figures: dict[str, Any] = {"protocol": [], "lean": [], "detection": []}
    rows: list[list[str]] = []
    sizes_protocol = (100,) if quick else (100, 1_000)
    for n in sizes_protocol:
        for loss in (0.0, 0.05):
            wall = time.perf_counter()
            rounds, simulated = await protocol_rounds(n, loss, seed=1)
            figures["protocol"].append({"n": n, "loss": loss, "rounds": rounds,
                                        "simulated_s": round(simulated, 2),
                                        "wall_s": round(time.perf_counter() - wall, 1)})
            rows.append(["dissemination, protocol", f"{n:,}", f"{loss:.0%}", str(rounds),
                         f"{simulated:.1f} s", "", ""])
    sizes_lean = (100, 1_000, 10_000) if quick else (100, 1_000, 10_000, 100_000)
    for n in sizes_lean:
        for loss in (0.0, 0.05):
            wall = time.perf_counter()
            runs = [lean_rounds(n, loss, seed) for seed in range(5 if n < 100_000 else 3)]
            worst = max(runs) if -1 not in runs else -1
            figures["lean"].append({"n": n, "loss": loss, "rounds": runs, "worst": worst,
                                    "simulated_s": round(worst * CONFIG.gossip_interval, 2),
                                    "wall_s": round(time.perf_counter() - wall, 1)})
            rows.append(["dissemination, lean", f"{n:,}", f"{loss:.0%}",
                         f"{min(runs)}-{max(runs)}", f"{worst * CONFIG.gossip_interval:.1f} s", "", ""])
    for loss in (0.0, 0.05, 0.10):
        result = await detection(100 if not quick else 30, loss, seed=3, warmup=20.0, limit=120.0)
        figures["detection"].append(result)
        rows.append(["detection", f"{result['n']:,}", f"{loss:.0%}", "",
                     (f"suspect {fmt(result['first_suspect_s'])} / dead "
                      f"{fmt(result['first_dead_s'])} / all {fmt(result['all_dead_s'])} s"),
                     f"{result['false_suspicions_distinct']} ({result['false_suspicions']} seen)",
                     str(result["false_deaths"])])
    report(
        "mesh_sim",
        {"config": "lan", "gossip_interval_s": CONFIG.gossip_interval,
         "gossip_nodes": CONFIG.gossip_nodes, "retransmit_mult": CONFIG.retransmit_mult,
         "probe_interval_s": CONFIG.probe_interval, "suspicion_mult": CONFIG.suspicion_mult,
         "quick": quick, "seed_design": {"100": 7, "10000": 14}},
        figures,
        ["what", "N", "loss", "rounds", "time (simulated)", "false suspect", "false dead"],
        rows,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    asyncio.run(main(parser.parse_args().quick))
