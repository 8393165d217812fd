"""Semantic routing: embeddings, the capability index, `route()` and the gradient table.

Everything here is synchronous: the model blocks, so async code calls
``await asyncio.to_thread(router.route, work)``.
"""

from hub.errors import ModelMismatch
from hub.routing.embedder import (
    DEFAULT_MODEL_ID,
    Embedder,
    Vector,
    Vectors,
    cosine,
)
from hub.routing.gradient import GradientConfig, GradientTable, NextHop, cluster_of
from hub.routing.index import CapabilityIndex, Hit, IndexStats
from hub.routing.ranking import Match, Ranking
from hub.routing.router import Candidate, Decision, Exclusion, Reason, Router, RouterConfig

__all__ = [
    "DEFAULT_MODEL_ID",
    "Candidate",
    "CapabilityIndex",
    "Decision",
    "Embedder",
    "Exclusion",
    "GradientConfig",
    "GradientTable",
    "Hit",
    "IndexStats",
    "Match",
    "ModelMismatch",
    "NextHop",
    "Ranking",
    "Reason",
    "Router",
    "RouterConfig",
    "Vector",
    "Vectors",
    "cluster_of",
    "cosine",
]
