"""Several commands in one sentence: "turn on the light and close the blinds"."""

from __future__ import annotations

import re

from hub.routing.language.lexicon import Action, action_cues
from hub.routing.language.text import parse

_JOINS = re.compile(r"\s*,?\s*\b(?:and then|and also|and|then|also|plus)\b\s*", re.IGNORECASE)


def split_commands(text: str) -> list[str]:
    """ "Turn on the light and close the blinds" is two commands: split where both sides
    have a verb of their own ("the lights and the fan off" stays one)."""
    pieces = [p for p in _JOINS.split(text) if p.strip()]
    if len(pieces) < 2:
        return [text]
    commands: list[str] = []
    for piece in pieces:
        strong = any(
            c.weight >= 3 and c.action is not Action.QUERY for c in action_cues(parse(piece))
        )
        if strong or not commands:
            commands.append(piece)
        else:
            commands[-1] += " and " + piece
    if len(commands) > 1 and not any(
        c.weight >= 3 and c.action is not Action.QUERY for c in action_cues(parse(commands[0]))
    ):
        return [text]
    return commands if len(commands) > 1 else [text]
