"""The resolver's answer: a `Resolution`, with the other readings as `Candidate` rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hub.model import EMPTY

AREA_WIDE_KIND = "homeassistant"
"""The kind of a command over several domains, as Home Assistant's own
``homeassistant.turn_off`` switches lights, switches and fans alike."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """One reading of the utterance and its score, as the CLI and the UI show them."""

    kind: str
    tool: str
    targets: tuple[str, ...]
    score: float
    reason: str


@dataclass(frozen=True, slots=True)
class Resolution:
    """The decision: `tool` of capability `kind` on `targets`, called with `args`."""

    text: str
    kind: str
    tool: str
    targets: tuple[str, ...]
    """Capability ids, in catalogue order."""
    args: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    score: float = 0.0
    """0..1: how sure the resolver is (the product of its action and target confidence)."""
    node: str = ""
    """The node of the first target, when capabilities carry one."""
    reasons: tuple[str, ...] = ()
    candidates: tuple[Candidate, ...] = ()

    @property
    def capabilities(self) -> tuple[str, ...]:
        return self.targets

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "capability": self.kind,
            "tool": self.tool,
            "targets": list(self.targets),
            "args": dict(self.args),
            "node": self.node,
            "score": round(self.score, 3),
        }
