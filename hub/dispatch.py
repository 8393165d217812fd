"""Executing routing decisions: the best provider first, the next-best when it fails.

`Dispatcher.execute(decision)` calls the decision's candidates in order (the router's
ranking, best first) until one answers. It moves on to the next candidate when a call
times out, is refused (the peer's `unauthorized`/`forbidden`), cannot be sent (the broker
is away) or names a capability the provider no longer has; a tool error or arguments the
tool refused end the work there (the tool ran, or the caller is at fault: another
provider would do the same). Every outcome of a call to a peer reinforces or penalises
its route in the gradient table (cluster ``<type>.<tool>``).

Deadlines are budgets: the work's deadline (`WorkUnit.deadline`, on `Clock.monotonic()`;
else the tool's timeout) is converted to wall-clock time and travels in each request's
envelope, so a provider never works past it. Each attempt waits for its share of what
is left: ``remaining / candidates left`` (at most `DispatchConfig.attempt_timeout`), so
a stalled provider costs a fraction of the budget, not all of it.

The guarantee (docs/mesh.md, "Dispatch"): every unit of work gets exactly one outcome at
the caller (a result or an error, never two: a reply that comes after the caller moved
on is dropped and counted as late), and each provider runs a unit at most once: every
request carries the unit's idempotency key (`WorkUnit.key`, else one made here), and the
provider's result cache (`hub.fabric.results`) answers a repeat of the key with the first
run's outcome. A unit can run on two providers when the first was slow rather than dead:
failover trades that for availability; a tool that must never run twice anywhere is
called with `failover=False`.

`execute_parallel(decisions)` runs many units at once (at most `max_parallel` in flight),
spreading them: each unit's first attempt goes to the candidate with the fewest units in
flight among those scoring within `spread_window` of its best, then fails over as above.
Outcomes come back in the order of the decisions.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from hub.clock import Clock
from hub.errors import (
    AtmosphereError,
    CallTimeout,
    ConfigError,
    FabricError,
    NoCapableNode,
    RegistryError,
    TokenError,
)
from hub.model import NodeId, ToolResult

if TYPE_CHECKING:  # hub.routing loads numpy: the hub starts without it (see Hub.routing)
    from hub.routing import Candidate, Decision, GradientTable

_LOGGER = logging.getLogger(__name__)

FAILOVER = (CallTimeout, TokenError, FabricError, RegistryError)
"""What moves a unit on to the next candidate: timeouts, refusals (`Forbidden` is a
`TokenError`), an unreachable broker, a provider without the capability."""


class Call(Protocol):
    """`RpcClient.call`: one request to one node, with an idempotency key and a deadline."""

    async def __call__(
        self,
        node_id: str,
        capability: str,
        tool: str,
        arguments: Mapping[str, Any] | None = None,
        timeout: float = 10.0,
        *,
        key: str = "",
        deadline: float | None = None,
    ) -> ToolResult: ...


@dataclass(frozen=True, slots=True)
class DispatchConfig:
    default_timeout: float = 10.0
    """The budget of work with no deadline whose tool names no timeout."""
    attempt_timeout: float | None = None
    """The longest one attempt waits (seconds); None: its share of the budget alone."""
    max_parallel: int = 256
    """Units in flight at once in `execute_parallel`."""
    spread_window: float = 0.8
    """`execute_parallel` spreads a unit over candidates scoring at least this fraction of
    its best one."""

    def __post_init__(self) -> None:
        if self.default_timeout <= 0:
            raise ConfigError(
                f"dispatch.default_timeout: expected seconds > 0, got {self.default_timeout}"
            )
        if self.attempt_timeout is not None and self.attempt_timeout <= 0:
            raise ConfigError(
                f"dispatch.attempt_timeout: expected seconds > 0, got {self.attempt_timeout}"
            )
        if self.max_parallel < 1:
            raise ConfigError(f"dispatch.max_parallel: expected 1 or more, got {self.max_parallel}")
        if not 0.0 < self.spread_window <= 1.0:
            raise ConfigError(
                f"dispatch.spread_window: expected 0 < x <= 1, got {self.spread_window}"
            )


@dataclass(frozen=True, slots=True)
class Attempt:
    node: NodeId
    capability: str
    ms: float
    """How long the attempt took (`Clock.monotonic()`)."""
    error: str = ""
    """Why it failed (the error's class and message); empty for the one that answered."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """One unit's outcome: its `result`, or the `error` that ended it (never both)."""

    key: str
    result: ToolResult | None = None
    error: AtmosphereError | None = None
    node: NodeId | None = None
    """Who answered (None when nobody did)."""
    attempts: tuple[Attempt, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None

    def unwrap(self) -> ToolResult:
        """The result, or the error raised."""
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


class Dispatcher:
    """``Dispatcher(rpc.call, node=..., clock=..., gradient=...)``; then
    ``await dispatcher.execute(decision)`` or ``await dispatcher.execute_parallel(decisions)``."""

    def __init__(
        self,
        call: Call,
        *,
        node: NodeId,
        clock: Clock,
        gradient: GradientTable | None = None,
        config: DispatchConfig | None = None,
    ) -> None:
        self._call = call
        self.node = node
        self._clock = clock
        self.gradient = gradient
        self.config = config or DispatchConfig()
        self._in_flight: Counter[NodeId] = Counter()
        self.failovers = 0
        """Attempts that failed and moved a unit on to the next candidate."""

    async def execute(self, decision: Decision, *, failover: bool = True) -> Outcome:
        """Run `decision`'s work on its best candidate, failing over to the next ones."""
        return await self._execute(decision, list(decision.candidates), failover)

    async def execute_parallel(
        self, decisions: Sequence[Decision], *, failover: bool = True
    ) -> list[Outcome]:
        """Run every decision's work at once, spread over their candidates; outcomes in
        the order of `decisions`."""
        gate = asyncio.Semaphore(self.config.max_parallel)

        async def one(decision: Decision) -> Outcome:
            async with gate:
                return await self._execute(decision, self._spread(decision), failover)

        return list(await asyncio.gather(*(one(decision) for decision in decisions)))

    def _spread(self, decision: Decision) -> list[Candidate]:
        """The candidates, the least busy of the near-best moved to the front."""
        candidates = list(decision.candidates)
        if len(candidates) < 2:
            return candidates
        floor = candidates[0].score * self.config.spread_window
        near = [c for c in candidates if c.score >= floor]
        first = min(near, key=lambda c: (self._in_flight[c.node], -c.score))
        candidates.remove(first)
        return [first, *candidates]

    async def _execute(
        self, decision: Decision, candidates: list[Candidate], failover: bool
    ) -> Outcome:
        work = decision.work
        key = work.key or os.urandom(12).hex()
        if not candidates:
            return Outcome(key, error=NoCapableNode(decision.explanation()))
        if not failover:
            candidates = candidates[:1]
        clock = self._clock
        start = clock.monotonic()
        deadline = work.deadline if work.deadline is not None else start + self._budget(decision)
        attempts: list[Attempt] = []
        last: AtmosphereError | None = None
        for index, candidate in enumerate(candidates):
            remaining = deadline - clock.monotonic()
            if remaining <= 0:
                break
            wait = remaining / (len(candidates) - index)
            if self.config.attempt_timeout is not None:
                wait = min(wait, self.config.attempt_timeout)
            capability = candidate.capability
            began = clock.monotonic()
            self._in_flight[candidate.node] += 1
            try:
                result = await self._call(
                    candidate.node,
                    capability.id,
                    candidate.tool,
                    dict(work.arguments),
                    wait,
                    key=key,
                    deadline=clock.now().timestamp() + remaining,
                )
            except FAILOVER as exc:
                ms = (clock.monotonic() - began) * 1000.0
                attempts.append(Attempt(candidate.node, capability.id, ms, _describe(exc)))
                self._penalise(candidate)
                last = exc
                if index + 1 < len(candidates):
                    self.failovers += 1
                    _LOGGER.info(
                        "dispatch failover key=%s from=%s capability=%s: %s",
                        key, candidate.node, capability.id, _describe(exc),
                    )
                continue
            except AtmosphereError as exc:  # the tool ran and failed, or bad arguments
                ms = (clock.monotonic() - began) * 1000.0
                attempts.append(Attempt(candidate.node, capability.id, ms, _describe(exc)))
                self._reinforce(candidate, ms)  # the route works; the tool did not
                return Outcome(key, error=exc, node=candidate.node, attempts=tuple(attempts))
            finally:
                self._in_flight[candidate.node] -= 1
                if not self._in_flight[candidate.node]:
                    del self._in_flight[candidate.node]
            ms = (clock.monotonic() - began) * 1000.0
            attempts.append(Attempt(candidate.node, capability.id, ms))
            self._reinforce(candidate, ms)
            return Outcome(key, result=result, node=candidate.node, attempts=tuple(attempts))
        return Outcome(key, error=self._exhausted(decision, key, attempts, last),
                       attempts=tuple(attempts))

    def _budget(self, decision: Decision) -> float:
        best = decision.candidates[0]
        tool = best.capability.tool(best.tool)
        return tool.timeout if tool is not None else self.config.default_timeout

    def _exhausted(
        self,
        decision: Decision,
        key: str,
        attempts: list[Attempt],
        last: AtmosphereError | None,
    ) -> AtmosphereError:
        tried = "; ".join(f"{a.node} ({a.error})" for a in attempts) or "none"
        work = decision.work
        what = f"{work.capability}/{work.tool}" if work.capability else repr(work.intent)
        text = (
            f"{what} (key {key}): every candidate failed or the deadline passed; tried "
            f"{len(attempts)} of {len(decision.candidates)}: {tried}"
        )
        if last is None or isinstance(last, CallTimeout):
            return CallTimeout(text)
        if isinstance(last, TokenError):
            return type(last)(text, last.reason)
        return type(last)(text)

    def _reinforce(self, candidate: Candidate, ms: float) -> None:
        if self.gradient is not None and candidate.node != self.node:
            from hub.routing import cluster_of  # loaded already: there is a table

            cluster = cluster_of(candidate.capability.type, candidate.tool)
            self.gradient.reinforce(cluster, candidate.node, ms)

    def _penalise(self, candidate: Candidate) -> None:
        if self.gradient is not None and candidate.node != self.node:
            from hub.routing import cluster_of

            cluster = cluster_of(candidate.capability.type, candidate.tool)
            self.gradient.penalise(cluster, candidate.node)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


__all__ = ["FAILOVER", "Attempt", "Call", "DispatchConfig", "Dispatcher", "Outcome"]
