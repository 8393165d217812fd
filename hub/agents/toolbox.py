"""Which tools an `llm` agent offers the model for one request: the router ranks the
hub's capabilities for the request's words, the best tools are taken until `max_tools`
or the character budget is reached, so a 4k-context model copes with a hub of 500
capabilities. The capability that fired the event comes first.

Synchronous (the embedder blocks): call it through ``asyncio.to_thread``.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hub.llm import function_tool
from hub.model import Capability, Tool

if TYPE_CHECKING:
    from hub.routing.service import Routing

_DROP = ("additionalProperties", "contentEncoding", "contentMediaType")
SOURCE_BONUS = 1.0
"""Added to the tools of the capability the event came from: they come first."""


@dataclass(frozen=True, slots=True)
class Offer:
    capability: Capability
    tool: Tool
    score: float


def allowed(patterns: Sequence[str]) -> Callable[[Capability], bool]:
    def check(capability: Capability) -> bool:
        if capability.type == "agent" or not capability.tools:
            return False
        return not patterns or any(fnmatch.fnmatchcase(capability.id, p) for p in patterns)

    return check


def compact(schema: Any) -> Any:
    """A tool's JSON Schema without what only costs the model tokens."""
    if isinstance(schema, Mapping):
        return {k: compact(v) for k, v in schema.items() if k not in _DROP}
    if isinstance(schema, (list, tuple)):
        return [compact(v) for v in schema]
    return schema


def describe(capability: Capability, tool: Tool) -> str:
    where = f", in the {capability.area}" if capability.area else ""
    return f"{tool.description} ({capability.name or capability.id}{where}; {capability.id})"


def spec(name: str, capability: Capability, tool: Tool) -> dict[str, Any]:
    return function_tool(name, describe(capability, tool), compact(tool.parameters))


def choose(routing: Routing | None, capabilities: Sequence[Capability], query: str, *,
           eligible: Callable[[Capability], bool], source: str = "", max_tools: int = 8,
           budget: int = 6000) -> list[Offer]:
    """The tools to offer, best first, within `max_tools` and `budget` characters."""
    scored: list[Offer] = []
    live = {c.id: c for c in capabilities if eligible(c)}
    if routing is not None and query and live:
        vector = routing.embedder.embed_one(query)
        index = routing.index
        k = min(len(index), max(64, 8 * max_tools))
        for match in index.rank(vector, k):
            capability = live.get(match.capability.id)
            if capability is None:
                continue
            tool_scores = index.tool_scores(vector, capability.id)
            bonus = SOURCE_BONUS if capability.id == source else 0.0
            for tool in capability.tools:
                score = (match.score + tool_scores.get(tool.name, 0.0)) / 2 + bonus
                scored.append(Offer(capability, tool, score))
    if source in live and not any(o.capability.id == source for o in scored):
        scored += [Offer(live[source], t, SOURCE_BONUS) for t in live[source].tools]
    if not scored:  # no router, or nothing ranked: the eligible ones in order
        scored = [Offer(c, t, 0.0) for c in live.values() for t in c.tools]
    scored.sort(key=lambda o: -o.score)
    chosen: list[Offer] = []
    used = 0
    for offer in scored:
        size = len(json.dumps(spec("x" * 24, offer.capability, offer.tool)))
        if used + size > budget:
            continue
        chosen.append(offer)
        used += size
        if len(chosen) >= max_tools:
            break
    return chosen
