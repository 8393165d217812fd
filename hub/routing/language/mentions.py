"""What an utterance mentions: device names and aliases, areas, domain nouns, "all", "here".

Matching works on word stems, so "lights" finds "Hallway light" and word order does not
matter ("the ceiling fan in the bedroom" names "Bedroom ceiling fan"). A name matches when
all its words are heard; when a shorter name's words are all inside a longer match
("Bedroom ceiling" inside "Bedroom ceiling fan"), only the longer one counts. The area word
of a name may come from the requester's area instead: "the ceiling light" said in the
kitchen names "Kitchen ceiling".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hub.routing.language.catalog import Catalog, Entry
from hub.routing.language.safety import floor_names
from hub.routing.language.text import stem
from hub.routing.language.vocabulary import CLASS_NOUNS, NOUNS

_ALL = re.compile(r"\b(?:all|every|each|both|any)\b")
_EVERYTHING = re.compile(
    r"\b(?:everything|every ?thing|all (?:the )?(?:devices?|things?|stuff)|every device"
    r"|it all|all of it|whole|entire)\b"
)
_HERE = re.compile(
    r"\b(?:in here|this room|this area|right here|over here|the room i am in|where i am)\b"
    r"|\bhere$"
)
_GENERIC = frozenset(w for nouns in NOUNS.values() for noun in nouns for w in noun.split())
# Words that are names' words only when heard next to another word of the same name:
# "can" of "Can lights" is not "can you turn the porch light off".
_FUNCTION_WORDS = frozenset(
    {"can", "could", "will", "would", "may", "do", "on", "off", "up", "down", "in", "out", "to",
     "of", "it", "is", "me", "my", "for", "and", "all", "a", "the"}
)  # fmt: skip
# Units that say a thermostat is meant even when no noun for it is heard.
_CLIMATE_UNITS = frozenset({"degree", "fahrenheit", "celsius"})
_HOUSE = re.compile(r"\b(?:house|home|everywhere|apartment|flat|all rooms|every room)\b")


@dataclass(frozen=True, slots=True)
class NameMatch:
    entry: Entry
    positions: frozenset[int]
    """Which words of the utterance the name took."""
    quality: float
    """1.0 every word heard; 0.9 the area word taken from the requester's area; 0.8 every
    word but the area word heard; less for a partial name."""


@dataclass(frozen=True, slots=True)
class Mentions:
    tokens: tuple[str, ...]
    names: tuple[NameMatch, ...]
    partial: tuple[NameMatch, ...]
    areas: tuple[tuple[str, ...], ...]
    """Areas named in the text."""
    here: bool
    """ "in here", "this room": the requester's area."""
    house: bool
    """ "in the house", "everywhere"."""
    every: bool
    """ "all", "every": more than one target is meant."""
    everything: bool
    """ "everything", "the whole kitchen": every switchable device of the area."""
    nouns: dict[str, frozenset[str]]
    """Domain -> the everyday nouns for it that were heard ("blind", "tv")."""
    floors: tuple[tuple[str, ...], ...] = ()
    """Floors named in the text ("upstairs", "the ground floor")."""
    classes: frozenset[tuple[str, str]] = frozenset()
    """(domain, device class) heard through its nouns ("the doors": door contacts)."""


def _positions(tokens: tuple[str, ...], word: str) -> list[int]:
    return [i for i, t in enumerate(tokens) if t == word]


def _find_phrase(tokens: tuple[str, ...], phrase: tuple[str, ...]) -> list[int]:
    n = len(phrase)
    for i in range(len(tokens) - n + 1):
        if tokens[i : i + n] == phrase:
            return list(range(i, i + n))
    return []


_COMPOUND_TAILS = ("box", "ing", "light", "lamp", "door", "room", "house", "way")
# Nouns that are verbs too ("switch off", "heat the room", "show me"): heard as nouns only
# when no particle or object follows them.
_VERBISH = frozenset({"switch", "heat", "show", "power", "cover", "play", "record", "reading"})
_VERB_FOLLOWERS = frozenset(
    {"on", "off", "up", "down", "the", "it", "everything", "all", "a", "an", "me", "to", "my",
     "of", "for"}
)  # fmt: skip


def _compound(token: str, word: str, areas: set[str]) -> bool:
    """ "mail" heard for "mailbox": a word heard as the head of a compound in a name."""
    return (
        len(token) >= 4
        and token not in areas
        and word.startswith(token)
        and word[len(token) :] in _COMPOUND_TAILS
    )


def _said_domains(tokens: tuple[str, ...]) -> set[str]:
    heard = set(tokens)
    said = {domain for domain, nouns in NOUNS.items() if heard & {n for n in nouns if " " not in n}}
    if heard & _CLIMATE_UNITS:
        said.add("climate")  # "68 degrees upstairs" for the "Upstairs Thermostat"
    return said


def _domain_nouns(entry: Entry, said: set[str]) -> frozenset[str]:
    """The domain's nouns in the entry's name may go unsaid if the domain is said otherwise."""
    if entry.domain not in said:
        return frozenset()
    return frozenset(w for noun in NOUNS.get(entry.domain, ()) for w in noun.split())


def _used_as_verb(tokens: tuple[str, ...], position: int) -> bool:
    return position == 0 or (position + 1 < len(tokens) and tokens[position + 1] in _VERB_FOLLOWERS)


def find(
    tokens: tuple[str, ...],
    catalog: Catalog,
    context_area: tuple[str, ...],
    plurals: frozenset[str] = frozenset(),
) -> Mentions:
    """What `tokens` (stems) mention. `plurals` are the stems that were said in the plural
    ("lights"): "the master bedroom lights" are all of them, not the one named "Master
    Bedroom Light"."""
    text = " ".join(tokens)
    areas = [a for a in catalog.areas if _find_phrase(tokens, a)]
    # A longer area contains a shorter one's words ("living room" and "room"): keep longest.
    areas = [a for a in areas if not any(a != b and set(a) < set(b) for b in areas)]
    here = bool(_HERE.search(text))
    spoken_areas = set(areas)
    present = set(spoken_areas)
    if context_area:
        present.add(context_area)

    area_words = {w for a in catalog.areas for w in a}
    said = _said_domains(tokens)
    full: list[NameMatch] = []
    partial: list[NameMatch] = []
    for entry in catalog.entries:
        best: NameMatch | None = None
        for name in entry.names:
            match = _match_name(
                tokens, name, entry, present, catalog, area_words, _domain_nouns(entry, said)
            )
            if match is not None and (
                best is None
                or match.quality > best.quality
                or (match.quality == best.quality and len(match.positions) > len(best.positions))
            ):
                best = match
        if best is None:
            continue
        (full if best.quality >= 0.8 else partial).append(best)
    # A name inside a longer one, or heard through the same words as a better match
    # ("ceiling" for the kitchen's ceiling light, said in the kitchen), gives way.
    full = [
        m
        for m in full
        if not any(
            m.positions < o.positions or (o.quality > m.quality and m.positions & o.positions)
            for o in full
            if o is not m
        )
        and not _generic_plural(m, tokens, plurals, area_words)
    ]

    nouns: dict[str, set[str]] = {}
    for domain, words in NOUNS.items():
        for noun in words:
            spot = _find_phrase(tokens, tuple(noun.split()))
            if spot and not (noun in _VERBISH and _used_as_verb(tokens, spot[0])):
                nouns.setdefault(domain, set()).add(noun)
    classes: set[tuple[str, str]] = set()
    for (domain, device_class), class_nouns in CLASS_NOUNS.items():
        if (domain, device_class) not in catalog.classes:
            continue
        for noun in class_nouns:
            if _find_phrase(tokens, tuple(stem(w) for w in noun.split())):
                classes.add((domain, device_class))
                nouns.setdefault(domain, set()).add(noun)
    return Mentions(
        tokens=tokens,
        names=tuple(full),
        partial=tuple(partial),
        areas=tuple(areas),
        here=here,
        house=bool(_HOUSE.search(text)),
        every=bool(_ALL.search(text)),
        everything=bool(_EVERYTHING.search(text)),
        nouns={d: frozenset(n) for d, n in nouns.items()},
        classes=frozenset(classes),
        floors=tuple(
            f for f in catalog.floors if any(_find_phrase(tokens, n) for n in floor_names(f))
        ),
    )


_WEAK_AREA_WORDS = frozenset({"room", "area", "space", "zone"})


def _one_area(catalog: Catalog, word: str) -> bool:
    return (
        word not in _GENERIC
        and word not in _WEAK_AREA_WORDS
        and sum(1 for a in catalog.areas if word in a) == 1
    )


def _generic_plural(
    match: NameMatch, tokens: tuple[str, ...], plurals: frozenset[str], area_words: set[str]
) -> bool:
    """A name of area words and a domain noun ("Kids Room Light") heard with the noun in the
    plural ("the kids room lights") means the area's devices of that kind, not this one."""
    heard = [tokens[p] for p in match.positions]
    if not all(t in _GENERIC or t in area_words for t in heard):
        return False
    said_plural = {t for t in heard if t in _GENERIC and t in plurals}
    if not said_plural:
        return False
    own = {w.casefold() for w in re.findall(r"[\w']+", match.entry.capability.name)}
    return not any(w != stem(w) and stem(w) in said_plural for w in own)


def _match_name(
    tokens: tuple[str, ...],
    name: tuple[str, ...],
    entry: Entry,
    present: set[tuple[str, ...]],
    catalog: Catalog,
    area_words: set[str],
    generic_nouns: frozenset[str] = frozenset(),
) -> NameMatch | None:
    taken: set[int] = set()
    missing: list[str] = []
    compound = False
    for word in name:
        spots = [p for p in _positions(tokens, word) if p not in taken]
        if not spots:
            spots = [
                i for i, t in enumerate(tokens) if i not in taken and _compound(t, word, area_words)
            ]
            compound = compound or bool(spots)
        if spots:
            taken.add(spots[0])
        else:
            missing.append(word)
    for word in name:
        if word not in _FUNCTION_WORDS or word in missing:
            continue
        spot = next(p for p in _positions(tokens, word) if p in taken)
        if not {spot - 1, spot + 1} & taken:
            taken.discard(spot)  # "can" the modal verb, far from "lights"
            missing.append(word)
    if not taken:
        return None
    area_words = set(entry.area)
    if not missing:
        quality = 0.7 if compound else 1.0  # a compound guess is never better than partial
    elif set(missing) <= area_words:
        # "the ceiling light" in the kitchen: the area word comes from where one is.
        if entry.area in present:
            quality = 0.9
        elif all(tokens[p] in _GENERIC or tokens[p] in area_words for p in taken) and not any(
            tokens[p] in area_words and _one_area(catalog, tokens[p]) for p in taken
        ):
            # "the light" alone does not name the "Hallway light"; "the porch light" names
            # the "Front Porch Light", "porch" being a word of one area only.
            return None
        else:
            quality = 0.8
    elif set(missing) <= area_words | generic_nouns and (
        any(tokens[p] not in _GENERIC and tokens[p] not in area_words for p in taken)
        or (
            any(tokens[p] in area_words for p in taken)
            and any(tokens[p] in generic_nouns for p in taken)
        )
    ):
        # "the upstairs temperature" for "Upstairs Thermostat", "the back door" for "Back
        # Door Lock": the distinctive word is heard, the domain's noun said another way; an
        # area word counts with another word ("the front door" of the front porch's lock).
        quality = 0.85
    else:
        heard = sum(catalog.weight(w) for w in name if w not in missing and w not in area_words)
        total = sum(catalog.weight(w) for w in name if w not in area_words) or 1.0
        quality = 0.7 * heard / total
        # The head word ("heater" of "space heater") must be heard, unless a word that only
        # this name has is ("the kitchen island" for "Kitchen Island Pendants").
        distinctive = any(catalog.unique(tokens[p]) and tokens[p] not in area_words for p in taken)
        if quality < 0.3 or (name[-1] in missing and not distinctive):
            return None
    return NameMatch(entry, frozenset(taken), quality)
