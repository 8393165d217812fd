"""Language to tool: an utterance becomes a capability kind, a tool, targets and arguments.

The decision is split so that each part is decided by what knows it best:

1. the action ("on" or "off", "lock" or "unlock") by the verb lexicon and question
   detection, never by embeddings, which rank opposites almost equally;
2. the targets by name, alias and area matching, with "all", "everything in the bedroom"
   and the requester's area ("in here", or no area at all);
3. the arguments by the quantity reader ("30 percent", "72 F", "warm white", "halfway");
4. the kind from the targets' domain, or for AI services (chat, vision, transcription,
   embeddings, search) from service cues, with chat as the default for open questions.

Embeddings only break ties the rules leave open: which tool of a device's domain a verbless
utterance means, and which AI service an utterance without cues is closest to.

Targets not named outright are found by `hub.routing.language.targets`; the answer's
types are `hub.routing.language.resolution`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from hub.model import EMPTY, Capability
from hub.routing.language import arguments, services
from hub.routing.language.catalog import Catalog, Entry, words
from hub.routing.language.families import special
from hub.routing.language.lexicon import Action, ActionCue, action_cues, opposite
from hub.routing.language.meaning import (
    MIN_TOOL_SIMILARITY,
    TextEmbedder,
    closest_service,
    closest_tool,
)
from hub.routing.language.mentions import Mentions, NameMatch, find
from hub.routing.language.quantities import Quantities, read
from hub.routing.language.resolution import AREA_WIDE_KIND, NONE, OK, UNSURE, Candidate, Resolution
from hub.routing.language.safety import UNSURE_BELOW, ambiguous, one_domain, unknown_room
from hub.routing.language.sentences import split_commands
from hub.routing.language.targets import READ_ONLY, best_partial, by_domain, first_supported
from hub.routing.language.text import Clause, Utterance, parse, stem
from hub.routing.language.vocabulary import NOUNS, supports, tool_for

NOUN_WORDS = frozenset(w for nouns in NOUNS.values() for noun in nouns for w in noun.split())

_LOGGER = logging.getLogger(__name__)


_DEFAULT_ON = frozenset({"scene", "script", "button"})
READ_TOOLS = frozenset({"get_state", "get_frame", "get_items", "get_forecasts", "search_media"})
"""Tools that only read: a question may call them, and they need no confirmation."""
_MULTI_DOMAIN = frozenset({Action.ON, Action.OFF, Action.TOGGLE, Action.STOP})
"""Actions Home Assistant's ``homeassistant.*`` carries out over several domains at once."""


# "how warm is it": a question about a temperature, whatever the sensor is called.
_MEASURES = {"warm": "temperature", "hot": "temperature", "cold": "temperature",
             "chilly": "temperature", "freezing": "temperature", "humid": "humidity",
             "damp": "humidity"}  # fmt: skip


# "Make me a cappuccino": what a device makes names the device.
_PRODUCTS = {"cappuccino": ("coffee",), "espresso": ("coffee",), "latte": ("coffee",),
             "coffee": ("espresso",), "tea": ("kettle",), "toast": ("toaster",)}  # fmt: skip


def cues_hint(utterance: Utterance) -> bool:
    """Whether the utterance has a command verb (then "cold" is a complaint, not a question)."""
    return any(c.action is not Action.QUERY for c in action_cues(utterance))


@dataclass(frozen=True, slots=True)
class _Plan:
    kind: str
    tool: str
    entries: tuple[Entry, ...]
    args: Mapping[str, Any]
    evidence: float
    """How strongly the text speaks of these devices (names 3, area and noun 2.5, ...)."""
    confidence: float
    reasons: tuple[str, ...]
    alternatives: tuple[Candidate, ...] = ()
    unsure: str = ""
    """Why not to act before someone confirms (the targets are then only candidates)."""
    held: tuple[Entry, ...] = ()
    """The devices an unsure plan would have acted on, offered as candidates."""


def _cue_confidence(weight: int) -> float:
    return {1: 0.6, 2: 0.8, 3: 0.95}.get(weight, 1.0)


class Resolver:
    """Resolves utterances against one set of capabilities (build once, call often)."""

    def __init__(
        self,
        capabilities: Iterable[Capability],
        *,
        embedder: TextEmbedder | None = None,
        temperature_unit: str = "c",
    ) -> None:
        self._capabilities = tuple(capabilities)
        self._catalog = Catalog.of(self._capabilities)
        self._embedder = embedder
        self._unit = "f" if temperature_unit.lower().lstrip("°").startswith("f") else "c"
        self._services = sorted(
            {c.type for c in self._capabilities if services.family_of(c.type) is not None}
        )
        self._domains = frozenset(e.domain for e in self._catalog.entries)

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def resolve(self, text: str, context: Mapping[str, Any] | None = None) -> Resolution:
        context = context or EMPTY
        commands = split_commands(text)
        if len(commands) > 1:
            return self._several(text, commands, context)
        utterance = self._corrected(parse(text))
        if not utterance.tokens:
            return Resolution(text=text, kind="", tool="", targets=(), reasons=("no words",))
        stems = tuple(stem(t) for t in utterance.tokens)
        if utterance.question or not cues_hint(utterance):
            stems += tuple(_MEASURES[t] for t in stems if t in _MEASURES)
        stems += tuple(w for t in stems for w in _PRODUCTS.get(t, ()))
        area = words(str(context.get("area") or ""))
        plurals = frozenset(s for t, s in zip(utterance.tokens, stems) if s != t)
        mentions = find(stems, self._catalog, area, plurals)
        cues = action_cues(utterance)
        quantities = read(utterance.text)

        family = special(utterance, mentions, self._catalog, area)
        if family is not None:
            return family.resolution(text)

        device = self._device(utterance, mentions, cues, quantities, area, plurals)
        if device is not None:
            device = self._checked(device, utterance, mentions)
        service = self._service(utterance.text, device, cues)
        plans = [p for p in (device, service) if p is not None]
        if not plans:
            room = unknown_room(utterance.text, self._catalog.place_words)
            why = (
                f"no area called {room!r} in this home"
                if room
                else "nothing in the catalogue matches: no device, area or service"
            )
            return Resolution(text=text, kind="", tool="", targets=(), reasons=(why,), outcome=NONE)
        plans.sort(key=lambda p: -p.evidence)
        best = plans[0]
        others = [
            Candidate(p.kind, p.tool, tuple(e.id for e in p.entries), p.confidence, p.reasons[0])
            for p in plans[1:]
        ]
        chosen = Candidate(
            best.kind,
            best.tool,
            tuple(e.id for e in best.entries),
            best.confidence,
            best.reasons[0] if best.reasons else "",
        )
        rest = sorted((*best.alternatives, *others), key=lambda c: -c.score)
        if best.unsure and best.held and not best.entries:
            share = round(best.confidence / len(best.held), 3)
            rest = [
                *(
                    Candidate(best.kind, best.tool, (e.id,), share, "one of them")
                    for e in best.held
                ),
                *rest,
            ]
        candidates = (chosen, *rest)
        node = str(best.entries[0].capability.node) if best.entries else ""
        _LOGGER.debug(
            "resolved text=%r kind=%s tool=%s targets=%d score=%.2f",
            text,
            best.kind,
            best.tool,
            len(best.entries),
            best.confidence,
        )
        return Resolution(
            text=text,
            kind=best.kind,
            tool=best.tool,
            targets=tuple(e.id for e in best.entries),
            args=MappingProxyType(dict(best.args)),
            score=best.confidence,
            node=node,
            reasons=((best.unsure,) if best.unsure else ()) + best.reasons,
            candidates=tuple(candidates),
            outcome=UNSURE if best.unsure else OK,
        )

    def _several(self, text: str, commands: list[str], context: Mapping[str, Any]) -> Resolution:
        """Two commands in one sentence: each resolved alone; sure only if each is."""
        parts = [self.resolve(command, context) for command in commands]
        first, rest = parts[0], tuple(parts[1:])
        unsure = next((p for p in parts if p.outcome != OK), None)
        if unsure is None:
            return replace(first, text=text, also=rest)
        why = f"{len(parts)} commands in one sentence; {unsure.text!r}: " + (
            unsure.reasons[0] if unsure.reasons else "no decision"
        )
        return replace(first, text=text, also=rest, outcome=UNSURE,
                       reasons=(why, *first.reasons))  # fmt: skip

    # -- text --------------------------------------------------------------------------

    def _corrected(self, utterance: Utterance) -> Utterance:
        correct = self._catalog.correct
        tokens = correct(utterance.tokens)
        if tokens == utterance.tokens:
            return utterance
        clauses = tuple(
            Clause(" ".join(ts), ts, c.question)
            for c in utterance.clauses
            for ts in (correct(c.tokens),)
        )
        return Utterance(utterance.raw, " ".join(tokens), tokens, clauses)

    # -- devices -----------------------------------------------------------------------

    def _device(
        self,
        utterance: Utterance,
        mentions: Mentions,
        cues: list[ActionCue],
        q: Quantities,
        area: tuple[str, ...],
        plurals: frozenset[str] = frozenset(),
    ) -> _Plan | None:
        reasons: list[str] = []
        matched: list[NameMatch] = []
        found_scope: bool | None = None  # set when the devices were not named outright
        entries: list[Entry] = []
        evidence = 0.0
        target_confidence = 0.0
        action: Action | None = None
        cue: ActionCue | None = None
        everything = False

        named = list(mentions.names)
        if named:
            cue = first_supported(cues, {m.entry.domain for m in named})
            action = cue.action if cue else None
            kept = [m for m in named if action is None or supports(m.entry.domain, action)]
            if cue is None and any(c.action is not Action.QUERY for c in cues):
                kept = []  # "set the temperature" names a sensor that cannot be set
            if kept:
                matched = kept
                entries = [m.entry for m in kept]
                target_confidence = sum(m.quality for m in kept) / len(kept)
                evidence = 3.0 * target_confidence
                reasons.append("named: " + ", ".join(_label(e) for e in entries))

        if not entries:
            found = by_domain(
                utterance, mentions, cues, q, area, catalog=self._catalog, known=self._domains
            )
            partial = best_partial(mentions, cues, area)
            quantified = mentions.every or mentions.house or mentions.everything
            if partial and found is not None and found.source == "noun" and not (
                found.scoped or quantified
            ):
                # "the patio lights" where only a switch is called Patio: the word that
                # names it says more than the noun, which would take every light.
                said = {mentions.tokens[p] for m in partial for p in m.positions} - NOUN_WORDS
                covered = {w for e in found.entries for n in (*e.names, e.area) for w in n}
                if not said or said <= covered:
                    partial = []
                else:
                    found = None
            if partial and (found is None or found.source in ("everything", "verb", "value")):
                matched = list(partial)
                found_scope = bool(mentions.areas) or any(m.entry.area == area for m in partial)
                entries = [m.entry for m in partial]
                cue = first_supported(cues, {e.domain for e in entries})
                action = cue.action if cue else None
                target_confidence = max(m.quality for m in partial)
                evidence = 2.0 + target_confidence
                reasons.append("partly named: " + ", ".join(_label(e) for e in entries))
            elif found is not None:
                entries, action, cue = list(found.entries), found.action, found.cue
                evidence, target_confidence = found.evidence, found.confidence
                everything = found.everything
                found_scope = found.scoped
                reasons.append(found.why)
                if found.source != "noun" and not everything:
                    matched = []
            elif named:
                matched = named
                entries = [m.entry for m in named]
                action, cue = None, None
                target_confidence = sum(m.quality for m in named) / len(named)
                evidence = 3.0 * target_confidence
                reasons.append("named: " + ", ".join(_label(e) for e in entries))
        if not entries:
            return None

        domains = sorted(
            {e.domain for e in entries}, key=lambda d: [e.domain for e in entries].index(d)
        )
        if action is None:
            action, why, action_confidence = self._infer_action(utterance.text, domains, q)
            reasons.append(why)
            if action is not Action.QUERY or not set(domains) <= READ_ONLY:
                evidence *= 0.5  # devices named, but nothing asked of them
        else:
            action_confidence = _cue_confidence(cue.weight) if cue else 0.7
            reasons.append(f"action {action.value!r} from {cue.phrase!r}" if cue else "")

        unsure = ""
        if len(domains) > 1 and not (
            everything or self._several_asked(matched, found_scope, action)
        ):
            # One name of two domains, or a verb that fits several: never "homeassistant"
            # over all of them; the domain the verb fits, else ask.
            picked, unsure = one_domain(domains, action, utterance.text)
            if picked[0] not in domains:
                return None
            domains = picked
            entries = [e for e in entries if e.domain in domains]
        if (
            not unsure
            and found_scope is not None
            and action is not Action.QUERY
            and len(domains) == 1
        ):
            plural = any(s in NOUN_WORDS for s in plurals) or any(
                t != stem(t) and stem(t) in NOUN_WORDS for t in utterance.tokens
            )
            unsure = ambiguous(
                [e.id for e in entries],
                areas_in_play=found_scope,
                quantified=mentions.every or mentions.everything or mentions.house,
                plural=plural,
                noun=domains[0].replace("_", " "),
            )

        kind = AREA_WIDE_KIND if everything or len(domains) > 1 else domains[0]
        negated = bool(cue and cue.negated)
        calls: dict[str, arguments.Call] = {}
        for domain in domains:
            first = next(e for e in entries if e.domain == domain)
            made = arguments.call(
                domain,
                action,
                q,
                negated=negated,
                state=first.capability.state,
                temperature_unit=self._unit,
            )
            if made is not None:
                calls[domain] = made
        entries = [e for e in entries if e.domain in calls]
        if not calls:
            return None
        if kind == AREA_WIDE_KIND:
            tool = {Action.OFF: "turn_off", Action.STOP: "turn_off", Action.TOGGLE: "toggle"}.get(
                action, "turn_on"
            )
            args: Mapping[str, Any] = {
                k: v
                for k, v in next(iter(calls.values())).args.items()
                if k in ("duration", "delay", "transition")
            }
        else:
            made = calls[kind]
            tool, args = made.tool, made.args
            if made.note:
                reasons.append(made.note)
        if (
            kind == "light"
            and tool == "turn_on"
            and q.mentions_colour
            and not {"color_name", "color_temp_kelvin", "rgb_color", "hs_color"} & set(args)
            and not unsure
        ):
            unsure = "which colour? none was named"
        alternatives = self._alternatives(kind, tool, entries, cues, action, q, negated)
        confidence = round(action_confidence * max(target_confidence, 0.3), 3)
        held: tuple[Entry, ...] = ()
        if " fit and no area" in unsure:
            held, entries = tuple(entries), []
            confidence = round(confidence * 0.5, 3)
        return _Plan(
            kind=kind,
            tool=tool,
            entries=tuple(entries),
            args=args,
            evidence=evidence,
            confidence=confidence,
            reasons=tuple(r for r in reasons if r),
            alternatives=alternatives,
            unsure=unsure,
            held=held,
        )

    @staticmethod
    def _several_asked(
        matched: list[NameMatch], found_scope: bool | None, action: Action | None
    ) -> bool:
        """Whether devices of several domains were each asked for ("the lamp and the fan",
        "lights and fans off"), as opposed to one name of two domains."""
        if action not in _MULTI_DOMAIN:
            return False
        if not matched:
            return found_scope is not None  # nouns of several domains
        return not any(  # the same words name both ("patio door": a lock and a cover)
            a.entry.domain != b.entry.domain and a.positions <= b.positions
            for a in matched
            for b in matched
        )

    def _checked(self, plan: _Plan, utterance: Utterance, mentions: Mentions) -> _Plan:
        """The last word on acting: questions only read, unknown rooms and weak guesses ask."""
        if utterance.question and plan.tool not in READ_TOOLS and plan.entries:
            domain = plan.entries[0].domain
            if supports(domain, Action.QUERY) and plan.kind != AREA_WIDE_KIND:
                reasons = ("a question: read the state, change nothing", *plan.reasons)
                return replace(
                    plan,
                    tool=tool_for(domain, Action.QUERY) or "get_state",
                    args=EMPTY,
                    reasons=reasons,
                )
            return replace(
                plan,
                unsure=plan.unsure
                or "a question, but this device can only be "
                f"changed ({plan.kind}.{plan.tool}): not done",
            )
        room = unknown_room(utterance.text, self._catalog.place_words)
        if room and not mentions.areas:
            return replace(
                plan,
                entries=(),
                held=plan.held or plan.entries,
                unsure=f"no area called {room!r} in this home",
                confidence=round(plan.confidence * (0.5 if not plan.unsure else 1.0), 3),
            )
        if plan.unsure:
            return plan
        if plan.tool not in READ_TOOLS and plan.confidence < UNSURE_BELOW and plan.entries:
            return replace(plan, unsure=f"not sure enough ({plan.confidence:.2f}) to act")
        return plan

    def _infer_action(
        self, text: str, domains: list[str], q: Quantities
    ) -> tuple[Action, str, float]:
        """No verb was heard: a value means "set", a sensor means "read", else embeddings."""
        has_value = any(
            v is not None
            for v in (q.percent, q.number, q.degrees, q.kelvin, q.colour, q.hvac_mode, q.speed,
                      q.low, q.preset, q.fan_mode)
        )
        if has_value and any(supports(d, Action.SET) for d in domains):
            return Action.SET, "no verb, a value: set", 0.7
        if set(domains) <= READ_ONLY:
            return Action.QUERY, "no verb, a sensor: read its state", 0.8
        if set(domains) <= _DEFAULT_ON:
            return Action.ON, "no verb, a scene: activate it", 0.8
        if len(text.split()) <= 4 and not any(c.isdigit() for c in text) and not re.search(
            r"\b(?:please|pls|now)\b", text
        ):  # "kitchen light please" asks for something: the model decides what
            # "hallway light.", "the living room lights": only the device is said.
            return Action.QUERY, "only the device is said: read its state", 0.6
        if self._embedder is not None:
            picked = closest_tool(self._embedder, text, domains[0])
            if picked is not None and picked[1] >= MIN_TOOL_SIMILARITY:
                action, similarity = picked
                return action, f"no verb: closest tool by meaning ({similarity:.2f})", similarity
        return Action.QUERY, "no verb: read the state", 0.4

    def _alternatives(
        self,
        kind: str,
        tool: str,
        entries: list[Entry],
        cues: list[ActionCue],
        action: Action | None,
        q: Quantities,
        negated: bool,
    ) -> tuple[Candidate, ...]:
        """The other readings the verbs allow, on the same targets (for the candidates table)."""
        out: list[Candidate] = []
        seen = {tool}
        ids = tuple(e.id for e in entries)
        flipped = opposite(action) if action is not None else None
        if flipped is not None and kind != AREA_WIDE_KIND:
            made = arguments.call(kind, flipped, q, temperature_unit=self._unit)
            if made is not None and made.tool not in seen:
                seen.add(made.tool)
                out.append(Candidate(kind, made.tool, ids, 0.05, f"the opposite ({flipped.value})"))
        for c in cues:
            if c.action is action or kind == AREA_WIDE_KIND:
                continue
            made = arguments.call(kind, c.action, q, negated=negated, temperature_unit=self._unit)
            if made is None or made.tool in seen:
                continue
            seen.add(made.tool)
            score = round(_cue_confidence(c.weight) * 0.5, 3)
            out.append(Candidate(kind, made.tool, ids, score, f"weaker verb {c.phrase!r}"))
        return tuple(out[:4])

    # -- AI services -------------------------------------------------------------------

    def _service(self, text: str, device: _Plan | None, cues: list[ActionCue]) -> _Plan | None:
        if not self._services:
            return None
        found = [c for c in services.cues(text) if c.score >= services.THRESHOLDS[c.family]]
        for cue in found:
            kinds = services.kinds_for(cue.family, self._services)
            if kinds:
                return self._service_plan(
                    kinds[0],
                    cue.score,
                    min(0.95, 0.5 + 0.08 * cue.score),
                    f"service cue: {', '.join(repr(p) for p in cue.phrases)}",
                )
        chat = services.kinds_for("chat", self._services)
        if device is not None:
            # Listed as a candidate, below any device reading.
            return (
                self._service_plan(chat[0], 0.0, 0.1, "chat, if no device was meant")
                if chat
                else None
            )
        if any(c.weight >= 3 and c.action is not Action.QUERY for c in cues):
            return None  # "turn it off" with nothing to turn off: no decision, not a chat
        if self._embedder is not None:
            picked = closest_service(self._embedder, text, self._services)
            if picked is not None:
                kind, similarity = picked
                return self._service_plan(
                    kind, 0.5, similarity, f"closest service by meaning ({similarity:.2f})"
                )
        if chat:
            return self._service_plan(chat[0], 0.5, 0.4, "no device or service cue: chat")
        return None

    def _service_plan(self, kind: str, evidence: float, confidence: float, why: str) -> _Plan:
        entries = tuple(e for e in self._catalog.entries if e.domain == kind)
        tools = entries[0].capability.tools if entries else ()
        family = services.family_of(kind) or ""
        tool = _service_tool(tools, family)
        return _Plan(kind, tool, entries, EMPTY, evidence, round(confidence, 3), (why,))

def _service_tool(tools: Iterable[Any], family: str) -> str:
    names = [t.name for t in tools]
    default = {"describe": "describe", "detect": "detect", "transcribe": "transcribe",
               "embed": "embed", "search": "search", "chat": "chat"}.get(family, "call")  # fmt: skip
    if default in names or not names:
        return default
    return str(names[0])


def _label(entry: Entry) -> str:
    return entry.capability.name or entry.id


def resolve(
    text: str,
    capabilities: Iterable[Capability],
    *,
    context: Mapping[str, Any] | None = None,
    embedder: TextEmbedder | None = None,
) -> Resolution:
    """Resolve one utterance (for many, build a `Resolver` once and reuse it)."""
    return Resolver(capabilities, embedder=embedder).resolve(text, context)


__all__ = ["Resolver", "TextEmbedder", "resolve"]
_ = NOUNS  # the vocabulary is re-exported through the package for documentation
