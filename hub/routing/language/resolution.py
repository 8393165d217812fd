"""The resolver's answer: a `Resolution`, with the other readings as `Candidate` rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hub.model import EMPTY

OK, UNSURE, NONE = "ok", "unsure", "none"
"""A resolution's outcome: act on it; ask back (or hand over) first; nothing to do."""

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
    also: tuple[Resolution, ...] = ()
    """Further commands of the same sentence ("turn on the light and close the blinds"),
    each resolved on its own; this resolution is the first."""
    path: str = "fast"
    """Who answered: ``fast`` (this resolver), ``agent`` (an LLM agent it handed over to),
    or ``fast (agent declined)`` (see `hub.routing.language.fallback`)."""
    outcome: str = ""
    """``ok``: do it. ``unsure``: do not act before someone confirms or picks among the
    candidates (the first reason says why; `kind` and `tool` may still name the likely
    call, but `targets` holds only what is certain). ``none``: nothing to do.
    Left empty, it follows from the tool: ``ok`` with a tool, else ``none``."""

    def __post_init__(self) -> None:
        if not self.outcome:
            object.__setattr__(self, "outcome", OK if self.tool else NONE)

    @property
    def capabilities(self) -> tuple[str, ...]:
        return self.targets

    @property
    def confidence(self) -> float:
        """The same as `score`: 0..1, how sure the resolver is."""
        return self.score

    @property
    def actionable(self) -> bool:
        """Whether the decision may be carried out as it is."""
        return self.outcome == OK and bool(self.tool) and bool(self.targets)

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "capability": self.kind,
            "tool": self.tool,
            "targets": list(self.targets),
            "args": dict(self.args),
            "node": self.node,
            "score": round(self.score, 3),
            "confidence": round(self.score, 3),
            "outcome": self.outcome,
            "path": self.path,
            **({"also": [r.as_json() for r in self.also]} if self.also else {}),
        }
