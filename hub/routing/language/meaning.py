"""The embedding model's part in resolving: only what the rules leave open.

A verbless device utterance takes the action whose team-written phrasings
(`hub.routing.language.phrasings`) are nearest in meaning, or, for domains without
phrasings, the tool whose one-line description is closest; a cue-less utterance goes to the
AI service whose description is clearly closer than chat's. Every text goes through the
embedder's cache, so the phrasings and descriptions are embedded once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Protocol

from hub.routing.embedder import Vector
from hub.routing.language import services
from hub.routing.language.lexicon import Action
from hub.routing.language.phrasings import phrasings
from hub.routing.language.vocabulary import DESCRIPTIONS, supports, tool_for

MIN_TOOL_SIMILARITY = 0.3
"""Below this cosine, a verbless utterance is read as a state question, not a guessed tool."""
SERVICE_MARGIN = 0.1
"""How much closer than chat a cue-less utterance must be to another AI service."""
NEIGHBOURS = 2
"""How many nearest phrasings of an action count (their mean similarity is its score)."""
MIN_NEIGHBOUR_SIMILARITY = 0.4
NEIGHBOUR_MARGIN = 0.03
"""How far ahead of the next action the nearest phrasings must be."""


class TextEmbedder(Protocol):
    """What the resolver needs of `hub.routing.embedder.Embedder`."""

    def embed_one(self, text: str) -> Vector: ...


def closest_tool(embedder: TextEmbedder, text: str, domain: str) -> tuple[Action, float] | None:
    """The action `text` most likely asks of a device of `domain`, and how close it is."""
    known = {a: p for a, p in phrasings(domain).items() if supports(domain, a)}
    if known:
        return nearest_phrasing(embedder, text, known)
    options = [
        (action, DESCRIPTIONS[(domain, tool)])
        for action, tool in _unique_tools(domain)
        if (domain, tool) in DESCRIPTIONS
    ]
    if not options:
        return None
    query = embedder.embed_one(text)
    scored = [(query.dot(embedder.embed_one(d)), a) for a, d in options]
    similarity, action = max(scored, key=lambda s: s[0])
    return action, max(0.0, min(1.0, similarity))


def nearest_phrasing(
    embedder: TextEmbedder, text: str, known: Mapping[Action, tuple[str, ...]]
) -> tuple[Action, float] | None:
    """The action whose nearest phrasings are closest to `text` (mean of the best
    `NEIGHBOURS`), if it is close enough and clearly ahead of the next action's."""
    query = embedder.embed_one(text)
    scores: list[tuple[float, Action]] = []
    for action, texts in known.items():
        sims = sorted((query.dot(embedder.embed_one(t)) for t in texts), reverse=True)
        top = sims[:NEIGHBOURS]
        scores.append((sum(top) / len(top), action))
    scores.sort(key=lambda s: -s[0])
    best, action = scores[0]
    runner_up = scores[1][0] if len(scores) > 1 else 0.0
    if math.isnan(best) or best < MIN_NEIGHBOUR_SIMILARITY or best - runner_up < NEIGHBOUR_MARGIN:
        return None
    return action, max(0.0, min(1.0, best))


def closest_service(embedder: TextEmbedder, text: str, kinds: Iterable[str]) -> tuple[str, float] | None:
    """The AI service whose description is clearly closer than chat's, if any."""
    query = embedder.embed_one(text)
    scored: list[tuple[float, str, str]] = []
    for kind in kinds:
        family = services.family_of(kind)
        if family is not None:
            description = services.DESCRIPTIONS[family]
            similarity = query.dot(embedder.embed_one(description))
            scored.append((similarity, kind, family))
    if not scored:
        return None
    similarity, kind, family = max(scored)
    chat = max((s for s, _, f in scored if f == "chat"), default=None)
    if math.isnan(similarity) or (
        family != "chat" and chat is not None and similarity < chat + SERVICE_MARGIN
    ):
        return None
    return kind, max(0.0, min(1.0, similarity))


def _unique_tools(domain: str) -> list[tuple[Action, str]]:
    seen: set[str] = set()
    out: list[tuple[Action, str]] = []
    for action in Action:
        tool = tool_for(domain, action)
        if tool is not None and tool not in seen:
            seen.add(tool)
            out.append((action, tool))
    return out
