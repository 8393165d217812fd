"""Semantic routing: embeddings, the capability index, `route()` and the gradient table."""

from hub.routing.embedder import (
    DEFAULT_MODEL_ID,
    Embedder,
    ModelMismatch,
    Vector,
    Vectors,
    cosine,
)

__all__ = [
    "DEFAULT_MODEL_ID",
    "Embedder",
    "ModelMismatch",
    "Vector",
    "Vectors",
    "cosine",
]
