"""Scoring the resolver on a labelled set: accuracies overall and per intent, and failures.

A labelled set is JSON lines: ``{"text", "context": {"area"}, "intent", "kind", "tool",
"targets": [ids], "args": {...}}``. The project's own set lives in tests/data/routing/,
split once and for all into train.jsonl and test.jsonl by `split_of` (a hash of the text,
so that a new utterance lands in the same split whoever adds it). Rules are developed
against train only; test is read to measure.
"""

from __future__ import annotations

import hashlib
import json
import math
import statistics
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.capfile import load_capability_file
from hub.errors import ConfigError
from hub.model import EMPTY, Capability
from hub.routing.language.resolution import Resolution
from hub.routing.language.resolve import Resolver, TextEmbedder

TEST_SHARE = 30
"""Percent of utterances in the test split."""


def split_of(text: str) -> str:
    """ "test" for about 30% of texts, "train" for the rest, fixed by a hash of the text."""
    digest = hashlib.sha256(text.strip().casefold().encode()).hexdigest()
    return "test" if int(digest[:8], 16) % 100 < TEST_SHARE else "train"


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str
    kind: str
    tool: str
    targets: frozenset[str]
    args: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    context: Mapping[str, Any] = field(default_factory=lambda: EMPTY)


def load_examples(path: Path) -> list[Example]:
    examples: list[Example] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                examples.append(
                    Example(
                        text=str(raw["text"]),
                        intent=str(raw.get("intent", "")),
                        kind=str(raw["kind"]),
                        tool=str(raw["tool"]),
                        targets=frozenset(raw.get("targets", ())),
                        args=raw.get("args") or {},
                        context=raw.get("context") or {},
                    )
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise ConfigError(
                    f"expected a JSON object with text, kind, tool, targets and args: {exc}",
                    f"{path}:{number}",
                ) from exc
    return examples


def same_value(expected: Any, got: Any) -> bool:
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected is got
    if isinstance(expected, (int, float)) and isinstance(got, (int, float)):
        return math.isclose(float(expected), float(got), rel_tol=1e-3, abs_tol=1e-6)
    return bool(expected == got)


def same_args(expected: Mapping[str, Any], got: Mapping[str, Any]) -> bool:
    return set(expected) == set(got) and all(same_value(expected[k], got[k]) for k in expected)


@dataclass(frozen=True, slots=True)
class Outcome:
    example: Example
    resolution: Resolution
    ms: float

    @property
    def kind(self) -> bool:
        return self.resolution.kind == self.example.kind

    @property
    def tool(self) -> bool:
        return self.kind and self.resolution.tool == self.example.tool

    @property
    def targets(self) -> bool:
        return frozenset(self.resolution.targets) == self.example.targets

    @property
    def args(self) -> bool:
        return same_args(self.example.args, self.resolution.args)

    @property
    def all(self) -> bool:
        return self.tool and self.targets and self.args


def run(
    examples: Iterable[Example],
    capabilities: Iterable[Capability],
    *,
    embedder: TextEmbedder | None = None,
) -> list[Outcome]:
    resolver = Resolver(capabilities, embedder=embedder)
    outcomes: list[Outcome] = []
    for example in examples:
        started = time.perf_counter()
        resolution = resolver.resolve(example.text, example.context)
        outcomes.append(Outcome(example, resolution, (time.perf_counter() - started) * 1000))
    return outcomes


def _share(outcomes: list[Outcome], test: str) -> float:
    if not outcomes:
        return 0.0
    return round(sum(1 for o in outcomes if getattr(o, test)) / len(outcomes), 4)


def summarise(outcomes: list[Outcome]) -> dict[str, Any]:
    """Accuracies (kind, kind+tool, targets, args, all three), per intent, and failures."""
    per_intent: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        per_intent.setdefault(outcome.example.intent, []).append(outcome)
    times = sorted(o.ms for o in outcomes)
    return {
        "n": len(outcomes),
        "kind": _share(outcomes, "kind"),
        "tool": _share(outcomes, "tool"),
        "targets": _share(outcomes, "targets"),
        "args": _share(outcomes, "args"),
        "all": _share(outcomes, "all"),
        "ms": {
            "mean": round(statistics.fmean(times), 3) if times else 0.0,
            "p50": round(times[len(times) // 2], 3) if times else 0.0,
            "max": round(times[-1], 3) if times else 0.0,
        },
        "per_intent": {
            intent: {"n": len(group), "kind": _share(group, "kind"), "all": _share(group, "all")}
            for intent, group in sorted(per_intent.items())
        },
        "failures": [
            {
                "text": o.example.text,
                "context": dict(o.example.context),
                "intent": o.example.intent,
                "expected": {
                    "kind": o.example.kind,
                    "tool": o.example.tool,
                    "targets": sorted(o.example.targets),
                    "args": dict(o.example.args),
                },
                "got": {
                    "kind": o.resolution.kind,
                    "tool": o.resolution.tool,
                    "targets": sorted(o.resolution.targets),
                    "args": dict(o.resolution.args),
                },
                "wrong": [t for t in ("tool", "targets", "args") if not getattr(o, t)],
                "reasons": list(o.resolution.reasons),
            }
            for o in outcomes
            if not o.all
        ],
    }


def evaluate(
    split_path: Path | str,
    devices_path: Path | str,
    *,
    embedder: TextEmbedder | None = None,
) -> dict[str, Any]:
    """Resolve every utterance of a labelled split against a capability file and score it."""
    capabilities = load_capability_file(Path(devices_path), source="evaluation")
    examples = load_examples(Path(split_path))
    result = summarise(run(examples, capabilities, embedder=embedder))
    result["split"] = str(split_path)
    result["embedder"] = getattr(embedder, "model_id", None) if embedder else None
    return result
