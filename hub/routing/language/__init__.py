"""Language to tool: "dim the kitchen lights to 30%" becomes a kind, a tool, targets, args.

    resolution = resolve("is the front door locked?", capabilities, context={"area": "hallway"})
    resolution.kind, resolution.tool, resolution.targets, resolution.args
    # ("lock", "get_state", ("lock.front_door",), {})

For many utterances against the same capabilities, build a `Resolver` once. `evaluate`
scores the resolver on a labelled JSON-lines split (see docs/routing.md, "Evaluation").
"""

from hub.routing.language.evaluate import evaluate, split_of
from hub.routing.language.resolution import AREA_WIDE_KIND, Candidate, Resolution
from hub.routing.language.resolve import Resolver, TextEmbedder, resolve

__all__ = [
    "AREA_WIDE_KIND",
    "Candidate",
    "Resolution",
    "Resolver",
    "TextEmbedder",
    "evaluate",
    "resolve",
    "split_of",
]
