"""The verb lexicon: what an utterance asks to be done, before knowing to what.

Embeddings place "turn on the light" and "turn off the light" almost on top of each other,
so the action never comes from similarity: it comes from this small table of verbs and
their opposites (on/off, open/close, lock/unlock, up/down, play/pause, arm/disarm,
start/stop/dock...), and from question detection, which turns "is the door locked?" into
a state query instead of a lock command. Each pattern has a weight: a specific verb
("unlock", "turn off") outranks a weak cue (a bare "on" at the end, "set", "make").
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from hub.routing.language.text import Clause, Utterance


class Action(enum.Enum):
    ON = "on"
    OFF = "off"
    TOGGLE = "toggle"
    OPEN = "open"
    CLOSE = "close"
    STOP = "stop"
    LOCK = "lock"
    UNLOCK = "unlock"
    UP = "up"
    DOWN = "down"
    SET = "set"
    PLAY = "play"
    PAUSE = "pause"
    NEXT = "next"
    PREVIOUS = "previous"
    MUTE = "mute"
    UNMUTE = "unmute"
    START = "start"
    DOCK = "dock"
    LOCATE = "locate"
    ARM = "arm"
    DISARM = "disarm"
    OSCILLATE = "oscillate"
    SNAPSHOT = "snapshot"
    QUERY = "query"


# Up to four words between a verb and its particle, none of them another particle:
# "turn the volume down on the speaker" is down, not on.
_GAP = r"(?:(?!(?:on|off|of|up|down)\b)\w+ ){0,4}?"

PATTERNS: tuple[tuple[Action, str, int], ...] = (
    # on / off
    (Action.ON, rf"\b(?:turn|switch|power|put|get|flick|click)(?:ed|s|ing)? {_GAP}on\b", 3),
    (Action.ON, r"\bpower(?:ed)? up\b|\bfire up\b|\bboot up\b", 3),
    (Action.ON, r"\b(?:activate|enable|illuminate|light up|engage|wake|waken)\b", 3),
    (Action.ON, r"\b(?:need|want|like|give me) (?:some |more )?light\b", 3),
    (Action.ON, r"\blights? on\b", 3),
    (Action.ON, rf"\b(?:like|want|need|leave|keep) {_GAP}on\b", 2),
    (Action.ON, r"\bon(?: please| now| again)?$", 2),
    (Action.ON, r"\bon\b", 1),
    (Action.OFF, rf"\b(?:turn|switch|power|shut|flick|click)(?:ed|s|ing)? {_GAP}(?:off|of)\b", 3),
    (Action.OFF, rf"\b(?:shut|power)(?:s|ing)? {_GAP}down\b", 3),
    (Action.OFF, r"\b(?:kill|deactivate|disable|cut)\b", 3),
    (Action.OFF, r"\blights? out\b|\bno more light\b|\bblackout\b", 3),
    (Action.OFF, r"\boff\b", 2),
    # "put the lights out", "blow out the candle": out is off (issue 11: it switched on).
    (Action.OFF, rf"\b(?:put|putting|puts|blow|snuff)(?:s|ing)? {_GAP}out\b", 4),
    # "it's dark in here": a wish for light (it switched them off).
    # ("too dark" asks for more light, an UP below.)
    (Action.ON, r"\b(?:it is|is|getting|so|very|quite|pretty|rather|bit|little) (?:(?!too\b)\w+ )?dark\b", 4),
    # "make me a coffee", "brew some tea", "boil the kettle": the machine that makes it
    (Action.ON, r"\bmake (?:me |us )?(?:a |an |some )?(?:coffee|tea|espresso|cappuccino|latte|toast)\b|\b(?:brew|boil)\b", 3),
    (Action.ON, r"(?<!too )\bdark (?:in here|here|in the)\b", 4),
    (Action.TOGGLE, r"\b(?:toggle|flip)\b", 4),
    (Action.TOGGLE, r"\bon or off\b|\boff or on\b", 5),
    (Action.TOGGLE, r"^(?:please )?(?:change|switch|alter|flip|reverse|invert) (?:\w+ ){0,5}?(?:state|status)\b", 5),
    (Action.TOGGLE, r"^(?:please )?reverse\b", 4),
    # covers and locks
    (Action.OPEN, r"\b(?:open|opening|roll up|pull up)\b", 3),
    (Action.OPEN, r"\blet (?:some |the |more )?(?:light|sun|sunshine|daylight|air) in(?:to)?\b", 4),
    (Action.CLOSE, r"\b(?:close|closing|draw|roll down|pull down)\b", 3),
    (Action.CLOSE, r"\bshut\b(?! (?:\w+ ){0,3}?(?:off|down)\b)", 3),
    (Action.CLOSE, r"\b(?:bring|brought|bringing|pull|draw) (?:(?!open\b|up\b)\w+ ){0,3}?in\b(?! (?:the |my )?\w+ (?:room|area))", 3),
    (Action.CLOSE, r"\b(?:needs?|should|must|has|have|want \w+) (?:to )?be (?:closed|shut|drawn|lowered|brought in)\b", 4),
    (Action.OPEN, r"\b(?:needs?|should|must|has|have|want \w+) (?:to )?be (?:opened|raised)\b", 4),
    (Action.CLOSE, r"\bmake sure (?:\w+ ){0,5}?(?:is|are) (?:closed|shut)\b", 4),
    (Action.CLOSE, r"^(?:please )?(?:have|get) (?:\w+ ){1,4}?(?:closed|shut|drawn)\b", 4),
    (Action.OPEN, r"^(?:please )?(?:have|get) (?:\w+ ){1,4}?opened\b", 4),
    (Action.LOCK, r"\bmake sure (?:\w+ ){0,5}?(?:is|are) locked\b", 5),
    (Action.OFF, r"\bmake sure (?:\w+ ){0,5}?(?:is|are) (?:off|out)\b", 4),
    (Action.LOCK, r"\b(?:lock|locks|locked|lock up|bolt|secure)\b", 4),
    (Action.UNLOCK, r"\b(?:unlock|unlocked|unbolt|let me in)\b", 5),
    (Action.UNLOCK, r"\bopen (?:the )?lock\b", 5),
    # relative changes
    (Action.UP, rf"\b(?:turn|crank|bump|push|ramp|speed)(?:ed|s|ing)? {_GAP}up\b", 3),
    (Action.UP, r"\b(?:brighten|brighter|increase|raise|boost|louder|faster|warmer|hotter)\b", 3),
    (Action.UP, r"\btoo (?:dark|dim|quiet|slow|cold|chilly)\b|\bfreezing\b", 3),
    (Action.UP, r"\b(?:i am|it is|feel|feeling|getting) (?:\w+ )?(?:cold|chilly)\b", 3),
    (Action.DOWN, r"\b(?:i am|it is|feel|feeling|getting) (?:\w+ )?(?:hot|warm|boiling)\b", 3),
    (Action.UP, r"\b(?:can not|barely) (?:hear|see)\b|\bmore light\b", 3),
    (Action.DOWN, rf"\b(?:turn|slow|tone|ramp|cool)(?:ed|s|ing)? {_GAP}down\b", 3),
    (Action.DOWN, r"\b(?:dim|dimmer|darker|lower|decrease|reduce|quieter|softer|slower)\b", 3),
    (Action.UP, r"\blights? up\b", 3),
    (Action.DOWN, r"\btoo (?:bright|loud|fast|hot|warm)\b|\bnotch down\b", 3),
    (Action.DOWN, rf"\b(?:put|puts|putting|switch|bring|let|roll|pull)(?:ed|s|ing)? {_GAP}down\b", 3),
    (Action.UP, r"\b(?:volume|sound|speed|brightness) up\b", 4),
    (Action.DOWN, r"\b(?:volume|sound|speed|brightness) down\b", 4),
    (Action.SET, r"\b(?:set|change|adjust|make|put|bring|go|move)\b", 1),
    # media
    (Action.PLAY, r"\b(?:play|resume|unpause|continue|keep playing)\b", 3),
    (Action.PAUSE, r"\b(?:pause|hold on)\b", 4),
    (Action.STOP, r"\b(?:stop|halt|stopping|cancel)\b", 3),
    (Action.NEXT, r"\b(?:next|skip|upcoming)\b", 4),
    (Action.NEXT, r"\b(?:change|switch|another|different|new) (?:this |the |that )?(?:song|track|tune)\b", 5),
    (Action.NEXT, r"\b(?:song|track) (?:after|that follows)\b|\b(?:forward|past|passed|onto|on to) (?:this |the |one )?(?:song|track)\b", 5),
    (Action.NEXT, r"\bone (?:song|track) (?:forward|ahead)\b|\b(?:do not|not) (?:want|like) (?:to listen to |to hear )?this (?:song|track)\b", 5),
    (Action.PREVIOUS, r"\b(?:previous|go back to|last (?:song|track|episode)|rewind)\b", 4),
    (Action.MUTE, r"\b(?:mute|silence|hush)\b", 4),
    (Action.UNMUTE, r"\bunmute\b", 5),
    # vacuums, scenes and the rest
    (Action.START, r"\b(?:start|begin|run|launch|kick off|vacuum the|hoover the)\b", 3),
    (Action.START, r"\b(?:clean|cleaning|vacuuming|hoovering)\b", 2),
    (Action.START, r"\b(?:initiate|commence|get (?:\w+ )?going|clean up|cleanup|tidy up)\b", 3),
    (Action.START, r"\bneeds? (?:to be |a )?(?:cleaned|vacuumed|hoovered|started|clean|cleaning)\b", 3),
    (Action.START, r"\b(?:is|are|looks?|getting) (?:\w+ )?(?:dirty|filthy|messy|dusty)\b", 3),
    (Action.PAUSE, r"\b(?:wait|take a break|have a break)\b", 3),
    # A wish with a participle: "I'd like the blinds closed", "get my vacuum charged".
    (Action.OPEN, r"\b(?:want|like|need|get|have)\b (?:\w+ ){1,5}?(?:opened|raised|lifted)\b", 4),
    (Action.CLOSE, r"\b(?:want|like|need|get|have)\b (?:\w+ ){1,5}?(?:closed|shut|lowered)\b", 4),
    (Action.PAUSE, r"\b(?:want|like|need|get|have)\b (?:\w+ ){1,5}?(?:be )?paused\b", 5),
    (Action.STOP, r"\b(?:want|like|need|get|have)\b (?:\w+ ){1,5}?(?:be )?stopped\b", 5),
    (Action.START, r"\b(?:want|like|need|get|have)\b (?:\w+ ){1,5}?(?:be )?started\b", 5),
    (Action.DOCK, r"\b(?:charge|charged|recharge|recharged|charging)\b|\bbays?\b", 3),
    (Action.UP, r"\b(?:lift|hoist)\b|\bup position\b", 3),
    (Action.OPEN, r"\bspread (?:\w+ ){0,3}?(?:curtains?|drapes?|blinds?)\b", 3),
    (Action.DOWN, r"\bdown position\b", 3),
    (Action.OFF, r"\bno longer (?:power|run|use)\b", 4),
    (Action.ON, r"\b(?:flash|blink|strobe)\w*\b", 3),
    (Action.ON, r"^(?:please )?turn (?!off\b|down\b|up\b|on\b)(?!(?:\w+ ){0,4}(?:off|down|up|on)\b)", 1),
    (Action.DOCK, r"\b(?:dock|go home|return to (?:\w+ ){0,2}?(?:base|dock|charger))\b", 4),
    (Action.DOCK, r"\b(?:back to|return) (?:\w+ ){0,4}?(?:base|dock|charger|home)\b", 4),
    (Action.DOCK, r"\bsend (?:\w+ ){0,3}?(?:home|back|to (?:its|the) (?:base|dock|charger))\b", 4),
    (Action.LOCATE, r"\b(?:locate|beep|find my)\b", 4),
    (Action.ARM, r"\barm(?:ed)?\b", 4),
    (Action.DISARM, r"\bdisarm(?:ed)?\b", 5),
    (Action.OSCILLATE, r"\b(?:oscillat\w*|swing|swinging|swivel\w*|rotat\w*)\b", 5),
    (Action.OSCILLATE, r"\bfrom (?:moving|turning|rotating|swinging|oscillating)\b", 6),
    (Action.SNAPSHOT, r"\b(?:show me|snapshot|take a (?:picture|photo)|grab a (?:picture|photo|frame))\b", 4),
    (Action.SNAPSHOT, r"\bsnap a (?:photo|picture)\b", 4),
    # "pull up the porch camera" shows it; "pull up the blinds" opens them.
    (Action.SNAPSHOT, r"\b(?:pull|bring|call) up (?:\w+ ){0,4}?(?:camera|cam|feed|view)\b", 5),
)  # fmt: skip

_COMPILED = tuple((action, re.compile(pattern), weight) for action, pattern, weight in PATTERNS)

# Words that undo the verb after them: "stop the fan from oscillating".
_NEGATIONS = re.compile(r"\b(?:stop|do not|no|not|never|cease|prevent|halt|quit|off|disable)\b")


@dataclass(frozen=True, slots=True)
class ActionCue:
    action: Action
    weight: int
    position: int
    """Character offset in the clause: ties go to the earlier verb."""
    phrase: str
    negated: bool = False


def _clause_cues(clause: Clause) -> list[ActionCue]:
    cues: list[ActionCue] = []
    for action, pattern, weight in _COMPILED:
        for match in pattern.finditer(clause.text):
            before = clause.text[: match.start()]
            negated = action is Action.OSCILLATE and (
                bool(_NEGATIONS.search(before[-40:])) or match.group(0).startswith("from ")
            )  # "keep the fan from swinging"
            cues.append(ActionCue(action, weight, match.start(), match.group(0), negated))
    return cues


def action_cues(utterance: Utterance) -> list[ActionCue]:
    """Every action cue, best first. A question clause yields only QUERY.

    "Is the heating on?" asks; "could you turn the heating on?" commands: the first clause
    opens with an interrogative word, the second with a polite modal.
    """
    found: list[ActionCue] = []
    offset = 0
    for clause in utterance.clauses:
        if clause.question:
            found.append(ActionCue(Action.QUERY, 3, offset, "question", False))
        else:
            for cue in _clause_cues(clause):
                found.append(
                    ActionCue(
                        cue.action, cue.weight, offset + cue.position, cue.phrase, cue.negated
                    )
                )
        offset += len(clause.text) + 1
    commands = [c for c in found if c.action is not Action.QUERY]
    strong = [c for c in commands if c.weight >= 2]
    if strong and any(c.action is Action.QUERY for c in found):
        # "where is the vacuum? make it beep": the command clause decides.
        found = commands
    found.sort(key=lambda c: (-c.weight, c.position))
    return found


def opposite(action: Action) -> Action | None:
    return _OPPOSITES.get(action)


_OPPOSITES = {
    Action.ON: Action.OFF,
    Action.OFF: Action.ON,
    Action.OPEN: Action.CLOSE,
    Action.CLOSE: Action.OPEN,
    Action.LOCK: Action.UNLOCK,
    Action.UNLOCK: Action.LOCK,
    Action.UP: Action.DOWN,
    Action.DOWN: Action.UP,
    Action.PLAY: Action.PAUSE,
    Action.PAUSE: Action.PLAY,
    Action.MUTE: Action.UNMUTE,
    Action.UNMUTE: Action.MUTE,
    Action.ARM: Action.DISARM,
    Action.DISARM: Action.ARM,
    Action.START: Action.STOP,
    Action.STOP: Action.START,
    Action.NEXT: Action.PREVIOUS,
    Action.PREVIOUS: Action.NEXT,
}
