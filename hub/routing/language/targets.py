"""Which devices an utterance means, when it does not name them outright.

`by_domain` reads the kind of device from everyday nouns ("the lights"), verb phrases,
the verbs themselves, a value ("set it to 21") or "everything", then keeps the devices of
that kind in the areas in play: the areas spoken, else the requester's own ("in here", or
no area at all), else the whole home. `best_partial` picks devices named only in part
("the heater" for "Space heater"). The resolver weighs what these find against devices
named in full.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hub.routing.language.catalog import Catalog, Entry
from hub.routing.language.lexicon import Action, ActionCue
from hub.routing.language.mentions import Mentions, NameMatch
from hub.routing.language.quantities import Quantities
from hub.routing.language.safety import query_hint
from hub.routing.language.text import Utterance, stem
from hub.routing.language.vocabulary import (
    ACTION_DOMAINS,
    EVERYTHING_DOMAINS,
    PHRASE_DOMAINS,
    supports,
)

READ_ONLY = frozenset({"sensor", "binary_sensor", "weather", "person", "device_tracker"})
"""Domains that can only be read."""
# Nouns that name a whole domain, so they never narrow it to devices with that word in
# their name ("all the lights" is every light, also the "TV backlight").
_CATEGORY_NOUNS = frozenset(
    {"light", "lighting", "brightness", "fan", "lock", "switch", "cover", "sensor", "climate",
     "vacuum", "vacuuming", "cleaning", "clean", "mop", "mopping", "timer", "camera", "scene", "volume", "music", "sound", "audio",
     "media", "temperature", "song", "track", "playback", "heating", "heat", "reading"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Targets:
    entries: tuple[Entry, ...]
    action: Action | None
    cue: ActionCue | None
    evidence: float
    confidence: float
    everything: bool
    why: str
    source: str
    """How the domain was found: noun, verb, value or everything."""
    scoped: bool = False
    """Whether an area or floor (spoken, or the requester's) narrowed the devices."""


def by_domain(
    utterance: Utterance,
    mentions: Mentions,
    cues: list[ActionCue],
    q: Quantities,
    area: tuple[str, ...],
    *,
    catalog: Catalog,
    known: frozenset[str],
) -> Targets | None:
    """Targets from everyday nouns, verbs and quantities, within the areas in play.

    `known` is every domain in `catalog`."""
    text = utterance.text
    domains = set(mentions.nouns) & known
    source, evidence, confidence = "noun", 2.0, 0.75
    if domains and first_supported(cues, domains) is None and any(c.weight >= 4 for c in cues):
        domains = set()  # "let some light in": the noun belongs to a verb phrase for covers
    if not domains:
        domains = {d for pattern, d in PHRASE_DOMAINS if re.search(pattern, text)}
        domains &= known
        source, evidence, confidence = "verb", 1.5, 0.65
    preference: tuple[str, ...] = ()
    if not domains and cues:
        for c in cues:
            implied = set(ACTION_DOMAINS.get(c.action, ())) & known
            if implied:
                domains, preference = implied, ACTION_DOMAINS[c.action]
                break
    asks = not cues or any(c.action is not Action.QUERY for c in cues)
    if not domains and asks:  # "what rhymes with orange" names no light
        implied_by_value = set()
        commanded = any(c.action is not Action.QUERY for c in cues)
        if (q.colour is not None or q.kelvin is not None) and commanded:
            implied_by_value.add("light")  # "purple monkey dishwasher" is no colour command
        if q.degrees is not None or q.hvac_mode is not None:
            implied_by_value.add("climate")
        if q.number is not None and not implied_by_value and 5 <= q.number <= 90:
            implied_by_value.add("climate")  # "set it to 21"
        domains = implied_by_value & known
        source, evidence, confidence = "value", 1.0, 0.55

    spoken = set(mentions.areas)
    # "Everything in the kitchen", "the whole office", "turn off the kitchen": every
    # switchable device, unless a noun, verb or value already said which kind.
    everything = mentions.everything and not domains
    if (
        not domains
        and (spoken or mentions.floors)
        and cues
        and cues[0].action
        in (
            Action.ON,
            Action.OFF,
        )
    ):
        everything = True
    if everything:
        domains = set(EVERYTHING_DOMAINS) & known
        source, evidence, confidence = "everything", 2.5, 0.85
    if not domains:
        return None

    cue = first_supported(cues, domains)
    action = cue.action if cue else None
    if action is not None:
        domains = {d for d in domains if supports(d, action)}
    if action is Action.QUERY and len(domains) > 1:
        hinted = query_hint(text, domains)
        if hinted:
            domains = {hinted}  # "is the door locked": the lock; "is it open": the contact
        elif domains & READ_ONLY:
            domains &= READ_ONLY  # "what is the temperature": the sensor, not the thermostat

    if spoken:
        areas = spoken
        where = " and ".join(" ".join(a) for a in sorted(spoken))
    elif area and (mentions.here or not mentions.house):
        # "all the lights" said in the kitchen: the kitchen's; "all the lights in the
        # house" (or "everywhere"): every one.
        areas = {area}
        where = " ".join(area) + (" (here)" if mentions.here else " (the requester's area)")
    else:
        areas = set()
        where = "the whole home"
    pool = [e for e in catalog.entries if e.domain in domains]
    for domain in domains:  # "the doors" of binary sensors are the door contacts
        heard = {c for d, c in mentions.classes if d == domain}
        if heard and any(e.domain == domain and _device_class(e) in heard for e in pool):
            pool = [e for e in pool if e.domain != domain or _device_class(e) in heard]
    if mentions.floors:  # "the upstairs lights": the devices on that floor
        pool = [e for e in pool if e.floor in mentions.floors]
        where = " and ".join(" ".join(f) for f in mentions.floors) + (
            f" ({where})" if spoken else ""
        )
        if not spoken:
            areas = set()
    chosen = [e for e in pool if not areas or e.area in areas]
    if not chosen and areas and not spoken and not mentions.here:
        chosen, where = pool, "the whole home (nothing of that kind here)"
    chosen = _narrow_by_noun(chosen, mentions)
    if len({e.domain for e in chosen}) > 1 and preference:
        # A bare "pause" in a room with a TV and a robot vacuum: the verb's first domain
        # that is present here, rather than a command over both.
        first = next(d for d in preference if any(e.domain == d for e in chosen))
        chosen = [e for e in chosen if e.domain == first]
        domains = {first}
    if not chosen:
        return None
    if spoken or mentions.floors or (areas and source != "everything"):
        evidence += 0.5
        confidence += 0.1
    why = f"{source}: {'/'.join(sorted(domains))} in {where}"
    scoped = bool(spoken or mentions.floors or (areas and "whole home" not in where))
    return Targets(
        tuple(chosen),
        action,
        cue,
        evidence,
        min(confidence, 0.95),
        everything,
        why,
        source,
        scoped,
    )


def _device_class(entry: Entry) -> str:
    value = entry.capability.attributes.get("device_class")
    return value if isinstance(value, str) else ""


def first_supported(cues: list[ActionCue], domains: set[str]) -> ActionCue | None:
    for cue in cues:
        if any(supports(d, cue.action) for d in domains):
            return cue
    return None


def best_partial(
    mentions: Mentions, cues: list[ActionCue], area: tuple[str, ...]
) -> list[NameMatch]:
    """The best partly named devices ("the heater" for "Space heater"), nearest area first."""
    matches = list(mentions.partial)
    cue = first_supported(cues, {m.entry.domain for m in matches})
    if cue is not None:
        matches = [m for m in matches if supports(m.entry.domain, cue.action)]
    here = set(mentions.areas) or ({area} if area else set())
    local = [m for m in matches if m.entry.area in here]
    matches = local or ([] if mentions.areas else matches)
    if not matches:
        return []
    top = max(m.quality for m in matches)
    return [m for m in matches if m.quality >= top - 1e-9]


def _narrow_by_noun(entries: list[Entry], mentions: Mentions) -> list[Entry]:
    """ "close all the blinds": only covers whose name says blind, if some do."""
    heard = {
        stem(w)
        for domain in {e.domain for e in entries}
        for noun in mentions.nouns.get(domain, ())
        if noun not in _CATEGORY_NOUNS
        for w in noun.split()
    }
    if not heard:
        return entries
    narrowed = [e for e in entries if any(heard & set(name) for name in e.names)]
    return narrowed or entries
