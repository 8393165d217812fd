"""The hand-over to an LLM agent when the fast path is unsure (the interface only).

The resolver answers in about a millisecond and says when it is unsure (`Resolution.outcome`
``unsure`` or ``none``). When an agent is configured, `resolve_with_fallback` hands it the
sentence, the context, the fast path's answer and the candidate tools (each with its
capability, description and parameter schema, as Home Assistant's LLM tools are offered),
and reports which path answered. The agent itself is another issue's work (automations):
anything with an async ``take_over(handover)`` fits.

    resolution = await resolve_with_fallback(resolver, text, context, agent=agent)
    resolution.path  # "fast", "agent", or "fast (agent declined)"
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from hub.model import EMPTY, Capability
from hub.routing.language.resolution import OK, Resolution
from hub.routing.language.resolve import Resolver

_LOGGER = logging.getLogger(__name__)

FAST, AGENT, DECLINED = "fast", "agent", "fast (agent declined)"
MAX_TOOLS = 24
"""Most candidate tools handed over: enough for a room, small enough for a prompt."""


@dataclass(frozen=True, slots=True)
class ToolOffer:
    """One tool the agent may call: on which capability, what it does, what it takes."""

    capability: str
    kind: str
    tool: str
    description: str
    parameters: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Handover:
    text: str
    context: Mapping[str, Any]
    fast: Resolution
    """What the fast path made of it (``unsure`` with its reason, or ``none``)."""
    tools: tuple[ToolOffer, ...]


class Agent(Protocol):
    async def take_over(self, handover: Handover) -> Resolution | None:
        """A decision (its `outcome` says whether to act), or None to decline."""
        ...


def offers(resolution: Resolution, capabilities: Iterable[Capability]) -> tuple[ToolOffer, ...]:
    """The candidate tools: every tool of every capability the candidates name, best first;
    with no candidate at all, the tools of the whole catalogue (up to `MAX_TOOLS`)."""
    by_id = {c.id: c for c in capabilities}
    named = [t for c in resolution.candidates for t in c.targets if t in by_id]
    ids = list(dict.fromkeys(named)) or list(by_id)
    out: list[ToolOffer] = []
    for capability_id in ids:
        capability = by_id[capability_id]
        for tool in capability.tools:
            out.append(
                ToolOffer(
                    capability.id, capability.type, tool.name, tool.description, tool.parameters
                )
            )
    return tuple(out[:MAX_TOOLS])


async def resolve_with_fallback(
    resolver: Resolver,
    text: str,
    context: Mapping[str, Any] | None = None,
    *,
    agent: Agent | None = None,
    capabilities: Iterable[Capability] = (),
) -> Resolution:
    """The fast path's answer, or the agent's when the fast path is not sure and one is set."""
    context = context or EMPTY
    fast = await asyncio.to_thread(resolver.resolve, text, context)
    if fast.outcome == OK or agent is None:
        return replace(fast, path=FAST)
    pool = tuple(capabilities) or tuple(e.capability for e in resolver.catalog.entries)
    handover = Handover(text, context, fast, offers(fast, pool))
    taken = await agent.take_over(handover)
    if taken is None:
        _LOGGER.debug("agent declined text=%r outcome=%s", text, fast.outcome)
        return replace(fast, path=DECLINED)
    _LOGGER.debug("agent answered text=%r tool=%s.%s", text, taken.kind, taken.tool)
    return replace(taken, path=AGENT)


__all__ = ["AGENT", "DECLINED", "FAST", "Agent", "Handover", "ToolOffer", "offers",
           "resolve_with_fallback"]  # fmt: skip
