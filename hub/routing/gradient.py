"""The gradient table: for each capability cluster, which peers lead to it, and how well.

A *cluster* is what a piece of work asks for: a capability type and a tool, written as
Home Assistant writes a service call (``light.turn_on``, ``camera.get_frame``,
``llm/chat.chat``), or the type alone when no tool is named. Clusters are exact strings,
not embedding neighbourhoods: two hubs agree on ``light.turn_on`` without sharing a model,
and a failure of one tool on a peer does not sink its other tools.

For each cluster the table keeps up to `GradientConfig.max_per_cluster` next hops: the
peer to send the work to, how many hops away the capability is through that peer, a
score, the latency and when the entry was last refreshed. The mesh *advertises* routes
it hears about; calls that succeed *reinforce* their route (the score moves towards 1 and
the latency is smoothed), calls that fail *penalise* it (the score is multiplied by
`failure_decay`). An entry that nobody refreshed for `ttl` seconds is stale: `best` never
returns it, and `expire` removes it. Alternatives stay in the table, so when the best
next hop fails the next one is already known.

Time comes only from the injected `Clock`. The table is used from the event loop and is
not thread-safe.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from hub.clock import Clock
from hub.errors import ConfigError
from hub.model import NodeId

_LOGGER = logging.getLogger(__name__)


def cluster_of(capability_type: str, tool: str | None = None) -> str:
    """``light`` + ``turn_on`` -> ``light.turn_on``; the type alone when no tool."""
    return f"{capability_type}.{tool}" if tool else capability_type


@dataclass(frozen=True, slots=True)
class GradientConfig:
    ttl: float = 300.0
    """Seconds without an advertisement or a success before an entry is stale."""
    initial_score: float = 0.8
    """Score of a route that was advertised but never used: below a proven one."""
    reinforce_rate: float = 0.2
    """A success moves the score this fraction of the way to 1."""
    failure_decay: float = 0.5
    """A failure multiplies the score by this."""
    min_score: float = 0.05
    """Entries below this are not selected until a success or a fresh advertisement."""
    latency_smoothing: float = 0.3
    """Weight of a new latency sample in the moving average."""
    hop_discount: float = 0.9
    """Preference multiplier per hop beyond the first."""
    latency_half_ms: float = 200.0
    """Latency at which the preference halves."""
    max_hops: int = 8
    """Advertisements from further away are ignored (loops and stale gossip)."""
    max_per_cluster: int = 8

    def __post_init__(self) -> None:
        if self.ttl <= 0:
            raise ConfigError(f"routing.gradient.ttl: expected seconds > 0, got {self.ttl}")
        for name in ("initial_score", "reinforce_rate", "failure_decay", "latency_smoothing"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ConfigError(f"routing.gradient.{name}: expected 0 < x <= 1, got {value}")
        if self.max_per_cluster < 1:
            raise ConfigError(
                f"routing.gradient.max_per_cluster: expected 1 or more, got {self.max_per_cluster}"
            )


@dataclass(frozen=True, slots=True)
class NextHop:
    cluster: str
    peer: NodeId
    hops: int
    score: float
    latency_ms: float
    updated: float
    """`Clock.monotonic()` of the last advertisement or success."""
    measured: bool = False
    """True once a call through this peer measured the latency (then it wins over ads)."""


class GradientTable:
    def __init__(self, clock: Clock, config: GradientConfig | None = None) -> None:
        self._clock = clock
        self.config = config or GradientConfig()
        self._table: dict[str, dict[NodeId, NextHop]] = {}

    def __len__(self) -> int:
        return sum(len(hops) for hops in self._table.values())

    def clusters(self) -> tuple[str, ...]:
        return tuple(sorted(self._table))

    def is_fresh(self, hop: NextHop) -> bool:
        return self._clock.monotonic() - hop.updated < self.config.ttl

    def age(self, hop: NextHop) -> float:
        return self._clock.monotonic() - hop.updated

    def preference(self, hop: NextHop) -> float:
        """How much a next hop is preferred: score, discounted by hops and latency."""
        config = self.config
        return (
            hop.score
            * config.hop_discount ** max(0, hop.hops - 1)
            / (1.0 + hop.latency_ms / config.latency_half_ms)
        )

    def advertise(self, cluster: str, peer: NodeId, hops: int, latency_ms: float) -> NextHop | None:
        """The mesh heard that `peer` reaches `cluster` in `hops` hops (None if too far)."""
        if hops < 1 or hops > self.config.max_hops:
            _LOGGER.debug("advertisement ignored cluster=%s peer=%s hops=%d", cluster, peer, hops)
            return None
        now = self._clock.monotonic()
        old = self._table.get(cluster, {}).get(peer)
        if old is None or not self.is_fresh(old):
            # A route heard again after going stale starts over: old failures are old news.
            hop = NextHop(cluster, peer, hops, self.config.initial_score, latency_ms, now)
        else:
            hop = replace(
                old,
                hops=hops,
                updated=now,
                latency_ms=old.latency_ms if old.measured else latency_ms,
            )
        return self._store(hop)

    def reinforce(self, cluster: str, peer: NodeId, latency_ms: float) -> NextHop:
        """A call through `peer` succeeded in `latency_ms`."""
        config = self.config
        now = self._clock.monotonic()
        old = self._table.get(cluster, {}).get(peer)
        if old is None or not self.is_fresh(old):
            old = NextHop(cluster, peer, 1, config.initial_score, latency_ms, now)
        alpha = config.latency_smoothing
        latency = (
            latency_ms if not old.measured else (1 - alpha) * old.latency_ms + alpha * latency_ms
        )
        score = old.score + config.reinforce_rate * (1.0 - old.score)
        return self._store(
            replace(old, score=score, latency_ms=latency, updated=now, measured=True)
        )

    def penalise(self, cluster: str, peer: NodeId) -> NextHop | None:
        """A call through `peer` failed. Does not refresh the entry: failure proves no route."""
        old = self._table.get(cluster, {}).get(peer)
        if old is None:
            return None
        hop = replace(old, score=old.score * self.config.failure_decay)
        self._table[cluster][peer] = hop
        _LOGGER.debug("route penalised cluster=%s peer=%s score=%.3f", cluster, peer, hop.score)
        return hop

    def entry(self, cluster: str, peer: NodeId) -> NextHop | None:
        """The fresh entry for (`cluster`, `peer`), or None."""
        hop = self._table.get(cluster, {}).get(peer)
        return hop if hop is not None and self.is_fresh(hop) else None

    def entries(self, cluster: str | None = None) -> tuple[NextHop, ...]:
        """Every entry, stale ones included (for the UI), by cluster then preference."""
        clusters = [cluster] if cluster is not None else sorted(self._table)
        return tuple(
            hop
            for name in clusters
            for hop in sorted(self._table.get(name, {}).values(), key=self.preference, reverse=True)
        )

    def best(self, cluster: str, n: int = 1) -> tuple[NextHop, ...]:
        """Up to `n` fresh next hops for `cluster`, most preferred first; never a stale one."""
        usable = [
            hop
            for hop in self._table.get(cluster, {}).values()
            if self.is_fresh(hop) and hop.score >= self.config.min_score
        ]
        usable.sort(key=lambda hop: (-self.preference(hop), hop.hops, hop.peer))
        return tuple(usable[:n])

    def expire(self) -> int:
        """Remove stale entries; returns how many went."""
        removed = 0
        for cluster in list(self._table):
            hops = self._table[cluster]
            for peer in [p for p, hop in hops.items() if not self.is_fresh(hop)]:
                del hops[peer]
                removed += 1
            if not hops:
                del self._table[cluster]
        if removed:
            _LOGGER.debug("gradient entries expired count=%d", removed)
        return removed

    def forget_peer(self, peer: NodeId) -> int:
        """Drop every route through `peer` (it left the mesh or was declared dead)."""
        removed = 0
        for cluster in list(self._table):
            if self._table[cluster].pop(peer, None) is not None:
                removed += 1
            if not self._table[cluster]:
                del self._table[cluster]
        return removed

    def _store(self, hop: NextHop) -> NextHop:
        hops = self._table.setdefault(hop.cluster, {})
        hops[hop.peer] = hop
        if len(hops) > self.config.max_per_cluster:
            # Keep the alternatives worth keeping: stale ones go first, then the least preferred.
            worst = min(hops.values(), key=lambda h: (self.is_fresh(h), self.preference(h)))
            del hops[worst.peer]
        return hop
