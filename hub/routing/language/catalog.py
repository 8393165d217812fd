"""The capabilities as a speaker names them: names, aliases and areas as word stems.

A `Catalog` is built once per set of capabilities and shared by every utterance routed
against it (`Catalog.of(capabilities)`): it holds the stemmed words of every name, alias
and area, and the vocabulary that typo correction snaps unknown words onto.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from hub.model import Capability
from hub.routing.language import lexicon, quantities, services
from hub.routing.language.colours import COLOURS, WHITES
from hub.routing.language.text import edit_distance, normalise, stem
from hub.routing.language.vocabulary import NOUNS

_STOPWORDS = frozenset({"the", "a", "an", "of", "my", "our", "in", "on", "at", "and", "to"})

# Words of commands that a typo should still reach (device words come from the catalog).
_COMMAND_WORDS = frozenset(
    [
        "turn",
        "switch",
        "power",
        "open",
        "close",
        "shut",
        "lock",
        "unlock",
        "toggle",
        "dim",
        "brighten",
        "brightness",
        "bright",
        "temperature",
        "thermostat",
        "degree",
        "percent",
        "volume",
        "louder",
        "quieter",
        "mute",
        "unmute",
        "pause",
        "play",
        "resume",
        "stop",
        "start",
        "next",
        "previous",
        "skip",
        "vacuum",
        "clean",
        "dock",
        "arm",
        "disarm",
        "scene",
        "please",
        "light",
        "lamp",
        "everything",
        "what",
        "where",
        "which",
        "status",
        "humidity",
        "kitchen",
        "bedroom",
        "living",
        "room",
        "bathroom",
        "office",
        "hallway",
        "garage",
        "garden",
        "set",
        "change",
        "increase",
        "decrease",
        "lower",
        "raise",
        "make",
        "could",
        "would",
        "should",
        "minute",
        "second",
        "hour",
        "color",
        "colour",
        "white",
        "speed",
        "activate",
        "deactivate",
        "curtain",
        "blind",
        "shade",
        "door",
        "window",
        "heating",
        "cooling",
        "television",
        "speaker",
        "music",
    ]
)


# Words that patterns match by stem or that are too close to a device word to risk.
_PROTECTED = frozenset(
    [
        "halfway",
        "vectorize",
        "vectorise",
        "vectorized",
        "transcribe",
        "transcription",
        "transcript",
        "caption",
        "captions",
        "detection",
        "detections",
        "embedding",
        "embeddings",
        "summarize",
        "summarise",
        "searching",
        "something",
        "anything",
        "nothing",
        "everything",
        "hallways",
    ]
)


def _pattern_words() -> frozenset[str]:
    """Every word that a lexicon, quantity or service pattern looks for: typo correction
    must never turn one of them into another ("halfway" is not a misspelt "hallway")."""
    sources = [p for _, p, _ in lexicon.PATTERNS] + [p for p, _ in services.all_patterns()]
    sources += quantities.PATTERN_TEXTS
    found: set[str] = set()
    for source in sources:
        # Only whole words: "vectori" of "vectori[sz]" is no word to correct towards.
        plain = re.sub(r"\\[bdsw]", " ", source)
        found.update(re.findall(r"(?<![a-z\]])[a-z]{3,}(?![a-z\[(])", plain))
    return frozenset(found | _PROTECTED)


def words(text: str) -> tuple[str, ...]:
    """The stems of the meaningful words of `text`: "The Kitchen Lights" is (kitchen, light)."""
    return tuple(stem(w) for w in normalise(text).split() if w not in _STOPWORDS)


@dataclass(frozen=True, slots=True)
class Entry:
    """One capability with its names and area as stems."""

    capability: Capability
    names: tuple[tuple[str, ...], ...]
    """The name, each alias and the id's object part ("kitchen_ceiling"), as stems."""
    area: tuple[str, ...]
    floor: tuple[str, ...] = ()
    """The floor the device (or its area) is on, as stems (``attributes.floor``)."""

    @property
    def id(self) -> str:
        return self.capability.id

    @property
    def domain(self) -> str:
        return self.capability.type


@dataclass(frozen=True, slots=True)
class Catalog:
    entries: tuple[Entry, ...]
    areas: tuple[tuple[str, ...], ...]
    """Every area's stems, longest first, so "living room" wins over a room named "room"."""
    vocabulary: frozenset[str]
    weights: Mapping[str, float]
    """How telling a word is in a name: rare words (a "chandelier") weigh more than common
    ones (a "light"), like inverse document frequency."""
    floors: tuple[tuple[str, ...], ...] = ()
    """Every floor's stems, longest first."""
    classes: frozenset[tuple[str, str]] = frozenset()
    """Every (domain, device class) of the home."""
    place_words: frozenset[str] = frozenset()
    """Every word of a name, alias, area or floor: a room word outside it is no place here."""

    @classmethod
    def of(cls, capabilities: Iterable[Capability]) -> Catalog:
        entries: list[Entry] = []
        for capability in capabilities:
            names: list[tuple[str, ...]] = []
            for name in (capability.name, *capability.aliases):
                stems = words(name)
                if stems and stems not in names:
                    names.append(stems)
            object_id = capability.id.split(".", 1)[-1]
            id_stems = words(re.sub(r"[_\-.]+", " ", object_id))
            if id_stems and id_stems not in names and not names:
                names.append(id_stems)
            floor = capability.attributes.get("floor")
            entries.append(
                Entry(
                    capability,
                    tuple(names),
                    words(capability.area),
                    words(floor) if isinstance(floor, str) else (),
                )
            )
        areas = sorted({e.area for e in entries if e.area}, key=lambda a: (-len(a), a))
        counts: dict[str, int] = {}
        for entry in entries:
            for word in {w for name in entry.names for w in name}:
                counts[word] = counts.get(word, 0) + 1
        total = max(1, len(entries))
        weights = {w: 1.0 + (total / c) ** 0.5 for w, c in counts.items()}
        vocabulary = set(_COMMAND_WORDS) | set(counts) | _pattern_words()
        floors = tuple(sorted({e.floor for e in entries if e.floor}, key=lambda f: (-len(f), f)))
        for area in (*areas, *floors):
            vocabulary.update(area)
        for nouns in NOUNS.values():
            for noun in nouns:
                vocabulary.update(noun.split())
        for colour in (*COLOURS, *WHITES):
            vocabulary.update(colour.split())
        known = set(counts)
        for place in (*areas, *floors):
            known.update(place)
        classes = frozenset(
            (e.domain, str(e.capability.attributes["device_class"]))
            for e in entries
            if isinstance(e.capability.attributes.get("device_class"), str)
        )
        return cls(
            tuple(entries),
            tuple(areas),
            frozenset(vocabulary),
            weights,
            floors,
            classes,
            frozenset(known),
        )

    def unique(self, word: str) -> bool:
        """Whether only one capability has `word` in a name ("island", "roborock")."""
        most: float = 1.0 + float(max(1, len(self.entries))) ** 0.5
        return self.weights.get(word, 0.0) >= most - 1e-9

    def weight(self, word: str) -> float:
        return self.weights.get(word, 1.0)

    def correct(self, tokens: Sequence[str]) -> tuple[str, ...]:
        """Snap misspelt words onto the vocabulary: "kichen" is "kitchen", "tunr" is "turn".

        Only words the vocabulary does not know, of 4 letters or more, and only when one
        vocabulary word is the single closest (4-letter words: a swap of two letters only,
        since too many short words are one letter apart).
        """
        out: list[str] = []
        for token in tokens:
            if token in self.vocabulary or stem(token) in self.vocabulary or len(token) < 4:
                out.append(token)
                continue
            limit = 1 if len(token) < 9 else 2
            best: list[tuple[int, str]] = []
            for word in self.vocabulary:
                if abs(len(word) - len(token)) > limit or word[0] != token[0]:
                    continue
                if len(token) == 4 and sorted(word) != sorted(token):
                    continue
                distance = edit_distance(token, word, limit)
                if distance <= limit:
                    best.append((distance, word))
            best.sort()
            if best and (len(best) == 1 or best[0][0] < best[1][0]):
                out.append(best[0][1])
            else:
                out.append(token)
        return tuple(out)
