"""route(work): which capability, on which node, with which tool, and why.

The score of a candidate is its *match* times a factor per concern:

    score = match x availability x load x queue x latency x hops x reliability x cost
            x area (the requester's own area)

Every factor but the area's is in (0, 1]: a product lets no amount of idleness, speed or
cheapness turn an irrelevant capability into the winner (with a weighted sum a fast idle
lamp could outscore a busy camera for "show me the porch"). Hard constraints (local_only,
gpu_required, max_latency_ms, data residency, the deadline, an unavailable capability, a
match under the threshold) exclude a candidate instead, and say why.

The factors (all half-lives configurable in `RouterConfig`):

- match: `CapabilityIndex.rank` (1.0 for an explicit capability and tool);
- load: ``1 - load_weight * load`` (load is 0..1);
- queue: ``1 / (1 + queue / queue_half)``, queue from the `queue_of` callback;
- latency: ``1 / (1 + ms / latency_half_ms)``; 0 ms on this hub, else measured
  (`latency_of`), else the gradient table's, else `assumed_remote_ms`;
- hops and reliability: from the fresh gradient entry for (cluster, node); without one,
  one hop and the table's prior score;
- cost: ``1 / (1 + cost / cost_half)``, cost from the capability's ``cost`` attribute.

`route` is synchronous: it may run the embedding model (on a cache miss), so async code
calls ``await asyncio.to_thread(router.route, work)``.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from hub.clock import Clock
from hub.errors import ConfigError, NoCapableNode
from hub.model import Capability, NodeId, WorkUnit
from hub.routing.gradient import GradientTable, NextHop, cluster_of
from hub.routing.index import CapabilityIndex
from hub.routing.ranking import Match, Ranking

_LOGGER = logging.getLogger(__name__)

LatencyOf = Callable[[NodeId], float | None]
"""Measured round-trip milliseconds to a node, or None when never measured."""
QueueOf = Callable[[str], int]
"""Calls waiting for a capability (by id)."""
SiteOf = Callable[[NodeId], str | None]
"""The site (data residency) of a node, or None when unknown."""
LiveOf = Callable[[str], Capability | None]
"""The current value of a capability (e.g. `Registry.find`): load changes emit no event."""


@dataclass(frozen=True, slots=True)
class RouterConfig:
    min_match: float = 0.2
    """Candidates whose match is below this are excluded."""
    limit: int = 5
    """How many candidates a decision returns."""
    load_weight: float = 0.5
    queue_half: float = 4.0
    latency_half_ms: float = 200.0
    cost_half: float = 1.0
    hop_discount: float = 0.9
    assumed_remote_ms: float = 50.0
    """Latency assumed for a remote node that was never measured."""
    area_boost: float = 1.1
    """Multiplier for capabilities in the requester's area (``work.context["area"]``)."""
    explain_excluded: int = 5
    """How many excluded candidates a decision (and the error) explains."""
    match_window: float = 0.15
    """Candidates whose match is this far below the best eligible one are not considered:
    penalties choose among the things that fit the request, they do not promote a worse
    fit."""
    max_considered: int = 64
    """At most this many matches are scored per decision, best match first."""

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ConfigError(f"routing.limit: expected 1 or more, got {self.limit}")
        if self.max_considered < self.limit:
            raise ConfigError(
                f"routing.max_considered: expected at least routing.limit ({self.limit}), "
                f"got {self.max_considered}"
            )
        if not 0.0 <= self.load_weight <= 1.0:
            raise ConfigError(f"routing.load_weight: expected 0..1, got {self.load_weight}")
        if self.area_boost < 1.0:
            raise ConfigError(f"routing.area_boost: expected 1 or more, got {self.area_boost}")
        for name in ("queue_half", "latency_half_ms", "cost_half"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"routing.{name}: expected > 0, got {getattr(self, name)}")


@dataclass(frozen=True, slots=True)
class Reason:
    """One term of a score: `factor` is the name, `value` the multiplier (or the match)."""

    factor: str
    value: float
    why: str


@dataclass(frozen=True, slots=True)
class Candidate:
    node: NodeId
    capability: Capability
    tool: str
    score: float
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class Exclusion:
    node: NodeId
    capability: Capability
    tool: str | None
    match: float
    why: str


@dataclass(frozen=True, slots=True)
class Decision:
    work: WorkUnit
    candidates: tuple[Candidate, ...]
    """Best first; empty when nothing fits (`route` raises then)."""
    excluded: tuple[Exclusion, ...] = ()
    """The best-matching candidates that a hard constraint ruled out, and why."""
    model_id: str | None = None
    """The embedding model that scored the match; None for explicit work."""
    unmatched: tuple[Match, ...] = field(default=())
    """When nothing passed the threshold: the closest matches, for the error message."""

    @property
    def best(self) -> Candidate:
        if not self.candidates:
            raise NoCapableNode(self.explanation())
        return self.candidates[0]

    def explanation(self) -> str:
        what = _describe(self.work)
        if self.excluded:
            why = "; ".join(
                f"{e.capability.id} (node {e.node or 'local'}): {e.why}" for e in self.excluded
            )
            return f"no capability can take {what}: {why}"
        if self.unmatched:
            closest = ", ".join(f"{m.capability.id} {m.score:.2f}" for m in self.unmatched)
            return (
                f"no capability matches {what} well enough (closest: {closest}); describe "
                "the capability in words closer to the request, or lower routing.min_match"
            )
        return f"no capability can take {what}: no capabilities are registered"


@dataclass(frozen=True, slots=True)
class _Scored:
    match: Match
    capability: Capability
    node: NodeId
    score: float
    load: float
    queue: int
    latency: float
    latency_source: str
    hop: NextHop | None
    cost: float


def _describe(work: WorkUnit) -> str:
    if work.capability:
        return f"{work.capability}.{work.tool}" if work.tool else f"capability {work.capability!r}"
    tool = f" (tool {work.tool!r})" if work.tool else ""
    return f"{work.intent!r}{tool}"


class Router:
    def __init__(
        self,
        index: CapabilityIndex,
        *,
        local_node: NodeId,
        clock: Clock,
        gradient: GradientTable | None = None,
        latency_of: LatencyOf | None = None,
        queue_of: QueueOf | None = None,
        site_of: SiteOf | None = None,
        live: LiveOf | None = None,
        config: RouterConfig | None = None,
    ) -> None:
        self.index = index
        self.local_node = local_node
        self.config = config or RouterConfig()
        self._clock = clock
        self._gradient = gradient
        self._latency_of = latency_of or (lambda node: None)
        self._queue_of = queue_of or (lambda capability_id: 0)
        self._site_of = site_of or (lambda node: None)
        self._live = live or (lambda capability_id: None)

    def route(self, work: WorkUnit) -> Decision:
        """Rank the candidates for `work`; raises `NoCapableNode` when none fits."""
        decision = self.explain(work)
        if not decision.candidates:
            message = decision.explanation()
            _LOGGER.info("no route work=%s", message)
            raise NoCapableNode(message)
        best = decision.candidates[0]
        _LOGGER.debug(
            "routed capability=%s tool=%s node=%s score=%.3f",
            best.capability.id,
            best.tool,
            best.node,
            best.score,
        )
        return decision

    def explain(self, work: WorkUnit) -> Decision:
        """Like `route`, but an empty decision instead of `NoCapableNode` when nothing fits.

        Still raises for work that cannot be routed at all: no intent and no capability,
        an unknown capability, or a tool the capability does not have.
        """
        if work.capability is not None:
            return self._explicit(work, work.capability)
        if not work.intent.strip():
            raise NoCapableNode(
                "work has neither an intent nor a capability: give an intent text, or a "
                "capability id and a tool"
            )
        vector = self.index.embedder.embed_one(work.intent)
        config = self.config
        boost = config.area_boost if work.context.get("area") else 1.0
        # At most `max_considered` matches are scored: one ranking call is enough.
        matches = self.index.rank(vector, config.max_considered + 1, tool=work.tool)
        scored, excluded = self._scan(work, matches, boost)
        scored.sort(key=lambda c: -c.score)
        unmatched = () if scored or excluded else matches[: config.explain_excluded]
        return Decision(
            work,
            tuple(self._candidate(work, one) for one in scored[: config.limit]),
            tuple(excluded[: config.explain_excluded]),
            self.index.model_id,
            unmatched,
        )

    def _scan(
        self, work: WorkUnit, matches: Ranking, boost: float
    ) -> tuple[list[_Scored], list[Exclusion]]:
        """Score matches best first until none further could matter."""
        config = self.config
        scored: list[_Scored] = []
        top: list[float] = []  # a min-heap of the `limit` best scores so far
        excluded: list[Exclusion] = []
        for match in matches:
            if match.score < config.min_match:
                return scored, excluded
            if len(top) >= config.limit and match.score * boost <= top[0]:
                # Every factor but the area's is <= 1: nothing further can overtake.
                return scored, excluded
            if scored and match.score < scored[0].match.score - config.match_window:
                return scored, excluded  # a worse fit, however idle or near
            if len(scored) + len(excluded) >= config.max_considered:
                return scored, excluded
            result = self._score(work, match)
            if isinstance(result, Exclusion):
                excluded.append(result)
                continue
            scored.append(result)
            if len(top) < config.limit:
                heapq.heappush(top, result.score)
            elif result.score > top[0]:
                heapq.heapreplace(top, result.score)
        return scored, excluded

    def _explicit(self, work: WorkUnit, capability_id: str) -> Decision:
        capability = self.index.get(capability_id)
        if capability is None:
            raise NoCapableNode(
                f"no capability {capability_id!r} is registered here or advertised by the "
                "mesh: check the id (see `atmosphere route --devices`)"
            )
        names = [t.name for t in capability.tools]
        if work.tool is not None:
            if capability.tool(work.tool) is None:
                raise NoCapableNode(
                    f"capability {capability_id!r} has no tool {work.tool!r} "
                    f"(its tools: {', '.join(names) or 'none'})"
                )
            match = Match(capability, 1.0, 1.0, work.tool, 1.0)
        elif len(names) == 1:
            match = Match(capability, 1.0, 1.0, names[0], 1.0)
        elif work.intent.strip() and names:
            scores = self.index.tool_scores(
                self.index.embedder.embed_one(work.intent), capability_id
            )
            tool = max(scores, key=lambda name: scores[name])
            match = Match(capability, 1.0, 1.0, tool, scores[tool])
        else:
            raise NoCapableNode(
                f"work for capability {capability_id!r} names no tool: give one of "
                f"{', '.join(names) or 'its tools (it has none)'}, or an intent to choose by"
            )
        result = self._score(work, match)
        if isinstance(result, Exclusion):
            return Decision(work, (), (result,), None)
        return Decision(work, (self._candidate(work, result),), (), None)

    def _score(self, work: WorkUnit, match: Match) -> _Scored | Exclusion:
        """The score as a number; the words (`_candidate`) only for what is returned."""
        # The index holds what was embedded; load and availability are read fresh.
        capability = self._live(match.capability.id) or match.capability
        node = capability.node or self.local_node
        why = self._hard_constraint(work, capability, node, match)
        latency, latency_source, hop = self._path(capability, node, match.tool)
        if why is None:
            why = self._latency_limit(work, latency, latency_source)
        if why is not None:
            return Exclusion(node, capability, match.tool, match.score, why)
        config = self.config
        load = min(max(capability.load, 0.0), 1.0)
        queue = max(0, self._queue_of(capability.id))
        cost = _number(capability.attributes.get("cost"))
        score = (
            match.score
            * (1.0 - config.load_weight * load)
            / (1.0 + queue / config.queue_half)
            / (1.0 + latency / config.latency_half_ms)
            / (1.0 + cost / config.cost_half)
        )
        if node != self.local_node:
            hops, reliability = (hop.hops, hop.score) if hop else (1, self._prior())
            score *= config.hop_discount ** max(0, hops - 1) * reliability
        area = work.context.get("area")
        if area and capability.area == area:
            score *= config.area_boost
        return _Scored(
            match, capability, node, score, load, queue, latency, latency_source, hop, cost
        )

    def _candidate(self, work: WorkUnit, scored: _Scored) -> Candidate:
        config = self.config
        match = scored.match
        assert match.tool is not None
        reasons = [
            Reason(
                "match",
                match.score,
                f"intent vs capability {match.capability_score:.2f}, "
                f"tool {match.tool} {match.tool_score:.2f}",
            ),
            Reason("load", 1.0 - config.load_weight * scored.load, f"load {scored.load:.2f}"),
            Reason(
                "queue", 1.0 / (1.0 + scored.queue / config.queue_half), f"{scored.queue} waiting"
            ),
            Reason(
                "latency",
                1.0 / (1.0 + scored.latency / config.latency_half_ms),
                f"{scored.latency:.1f} ms ({scored.latency_source})",
            ),
        ]
        if scored.node != self.local_node:
            hop = scored.hop
            hops, reliability = (hop.hops, hop.score) if hop else (1, self._prior())
            source = "gradient" if hop else "no fresh gradient entry, prior"
            reasons.append(
                Reason("hops", config.hop_discount ** max(0, hops - 1), f"{hops} hop(s)")
            )
            reasons.append(Reason("reliability", reliability, f"{source} {reliability:.2f}"))
        reasons.append(
            Reason("cost", 1.0 / (1.0 + scored.cost / config.cost_half), f"cost {scored.cost:g}")
        )
        area = work.context.get("area")
        if area and scored.capability.area == area:
            reasons.append(Reason("area", config.area_boost, f"in the requester's area {area}"))
        return Candidate(scored.node, scored.capability, match.tool, scored.score, tuple(reasons))

    def _hard_constraint(
        self, work: WorkUnit, capability: Capability, node: NodeId, match: Match
    ) -> str | None:
        constraints = work.constraints
        remote = node != self.local_node
        if match.score < self.config.min_match:
            return f"match {match.score:.2f} below routing.min_match {self.config.min_match:.2f}"
        if match.tool is None:
            return "has no tools to call"
        if not capability.available:
            return "unavailable"
        if constraints.local_only and remote:
            return f"local_only: runs on node {node}, not on this hub"
        if remote and capability.attributes.get("local_only"):
            return f"the capability is local_only to its node {node}"
        if constraints.gpu_required and not capability.attributes.get("gpu"):
            return "gpu_required: the capability has no gpu"
        if constraints.residency is not None:
            site = capability.attributes.get("residency") or self._site_of(node)
            if site is None:
                return (
                    f"residency {constraints.residency!r} required: the site of node {node} "
                    "is unknown"
                )
            if site != constraints.residency:
                return f"residency {constraints.residency!r} required, data would go to {site!r}"
        return None

    def _latency_limit(self, work: WorkUnit, latency: float, source: str) -> str | None:
        limit = work.constraints.max_latency_ms
        if limit is not None and latency > limit:
            return f"max_latency_ms {limit:g}: latency {latency:.1f} ms ({source})"
        if work.deadline is not None:
            left = (work.deadline - self._clock.monotonic()) * 1000.0
            if left <= 0:
                return f"deadline passed {-left:.0f} ms ago"
            if latency > left:
                return f"deadline in {left:.0f} ms, latency {latency:.1f} ms ({source})"
        return None

    def _path(
        self, capability: Capability, node: NodeId, tool: str | None
    ) -> tuple[float, str, NextHop | None]:
        """(latency ms, where that figure comes from, fresh gradient entry or None)."""
        if node == self.local_node:
            return 0.0, "this hub", None
        hop = (
            self._gradient.entry(cluster_of(capability.type, tool), node)
            if self._gradient is not None
            else None
        )
        measured = self._latency_of(node)
        if measured is not None:
            return measured, "measured", hop
        if hop is not None:
            return hop.latency_ms, "gradient", hop
        return self.config.assumed_remote_ms, "assumed", hop

    def _prior(self) -> float:
        return self._gradient.config.initial_score if self._gradient is not None else 1.0


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return max(0.0, float(value))
