"""When the resolver must not act on its own reading: ambiguous targets, unknown places,
one name for devices of two domains.

Each check returns the reason to be unsure (empty when there is none). The resolver then
answers ``unsure``: it names the candidates, and nobody carries the call out unasked
(`POST /api/route` refuses to execute it; an agent may ask back or take over).

- Several devices fit, and nothing says how many or where: "turn off the light" in a home
  of nine lights. An area (spoken, or the requester's own), a quantifier ("all", "both",
  "every") or a plural noun ("the lights") says which; a singular noun or none does not.
- A room is spoken that this home does not have: "the garage light" with no garage. The
  other lights are not what was asked for.
- One name is a device of two domains (a patio door that is a lock and a cover): the verb
  picks the domain ("lock" a lock, "open" a cover, "is it locked" a lock); with no telling
  verb the result names both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from hub.routing.language.lexicon import Action
from hub.routing.language.text import stem
from hub.routing.language.vocabulary import ACTION_DOMAINS, supports

UNSURE_BELOW = 0.3
"""A call that changes something, with a confidence below this, is only proposed."""

# Rooms people name. A room word heard that no name, alias, area or floor of the home has
# is a place this home does not know.
ROOMS = re.compile(
    r"\b(?:kitchen|bedroom|bathroom|garage|basement|attic|office|hallway|lounge|nursery|porch"
    r"|patio|garden|backyard|laundry|cellar|loft|closet|pantry|balcony|terrace|driveway"
    r"|playroom|shed|workshop|gym|conservatory|foyer|toilet|washroom|den"
    r"|(?:living|dining|guest|family|utility|kids|games|spare|sitting|mud|boiler|box)"
    r" (?:room|bedroom))\b"
)
FLOOR_WORDS: dict[str, tuple[str, ...]] = {
    "upstairs": ("upstairs", "upper floor", "top floor", "upper level"),
    "downstairs": ("downstairs", "ground floor", "main floor", "lower floor", "ground level"),
}
"""Ways to say a floor, for homes whose floors are called by the other name."""

# "is it locked" asks the lock; "is it open" asks the cover (or the contact).
_QUERY_HINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"\b(?:locked|unlocked|lock|bolted)\b", ("lock",)),
    (r"\b(?:open|opened|closed|shut|ajar)\b", ("cover", "binary_sensor", "valve")),
    (r"\b(?:playing|paused|volume|song|track)\b", ("media_player",)),
    (r"\b(?:cleaning|docked|charging)\b", ("vacuum",)),
    (r"\b(?:target|setpoint|set to|set at|set on|thermostat|heater|hvac)\b", ("climate",)),
    (r"\b(?:temperature|degrees|warm|cold|hot|humid|humidity|battery)\b", ("sensor", "climate")),
    (r"\b(?:on|off|lit|bright|brightness)\b", ("light", "switch", "fan")),
)
# Without any hint, what a verb most likely means when a name is of several domains.
_ACTION_HINTS: dict[Action, tuple[str, ...]] = {
    Action.OPEN: ("cover", "valve", "lock"),
    Action.CLOSE: ("cover", "valve", "lock"),
    Action.UP: ("light", "media_player", "fan", "climate", "cover"),
    Action.DOWN: ("light", "media_player", "fan", "climate", "cover"),
}


def one_domain(domains: Sequence[str], action: Action | None, text: str) -> tuple[list[str], str]:
    """Of several domains one name belongs to, the one the verb fits, and why to be unsure."""
    fitting = [d for d in domains if action is None or supports(d, action)] or list(domains)
    if len(fitting) == 1:
        return fitting, ""
    preferred: tuple[str, ...] = ()
    if action is Action.QUERY:
        for pattern, hinted in _QUERY_HINTS:
            if re.search(pattern, text):
                preferred = hinted
                break
    elif action is not None:
        preferred = ACTION_DOMAINS.get(action, ()) or _ACTION_HINTS.get(action, ())
    for domain in preferred:
        if domain in fitting:
            return [domain], ""
    return [fitting[0]], (
        "one name for a "
        + " and a ".join(fitting)
        + ": say which, e.g. "
        + " or ".join(f"'the {d.replace('_', ' ')}'" for d in fitting)
    )


def query_hint(text: str, domains: Iterable[str]) -> str:
    """The one of `domains` a question's words point at ("locked": the lock), or ""."""
    present = set(domains)
    for pattern, hinted in _QUERY_HINTS:
        if re.search(pattern, text):
            return next((d for d in hinted if d in present), "")
    return ""


def ambiguous(
    ids: Sequence[str],
    *,
    areas_in_play: bool,
    quantified: bool,
    plural: bool,
    noun: str,
) -> str:
    """Why acting on all of `ids` would be a guess ("" when it would not)."""
    if len(ids) < 2 or areas_in_play or quantified or plural:
        return ""
    shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
    return f"which {noun or 'one'}? {len(ids)} fit and no area or 'all' was said: {shown}"


def unknown_room(text: str, known: Iterable[str]) -> str:
    """The room spoken in `text` that this home does not have, or ""."""
    words = set(known)
    for match in ROOMS.finditer(text):
        said = match.group(0)
        if not any(w in words or w.rstrip("s") in words for w in said.split() if w != "room"):
            return said
    return ""


def floor_names(floor: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """Every way to say `floor` (stems): its own name and, for "upstairs", "upper floor"..."""
    names = [floor]
    for group in FLOOR_WORDS.values():
        stems = [tuple(stem(w) for w in phrase.split()) for phrase in group]
        if floor in stems:
            names.extend(s for s in stems if s != floor)
    return tuple(names)
