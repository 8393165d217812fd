"""Home Assistant's intent families that need more than a verb and a device: to-do lists,
timers with their operations, media search-and-play, weather, the time and the date.

Each reader looks for its family's phrasing and, when it finds it, answers the whole call:
the domain's entity (a named one, one in the areas in play, or the only one), the tool and
the fields Home Assistant's services take (``todo.add_item {item}``, ``timer.start
{duration}``, ``timer.change {duration: -120}``, ``media_player.play_media
{media_content_id, media_content_type}``, ``weather.get_forecasts {type}``). Everything
else goes on to the verb lexicon. The time and the date need no device: they resolve to
the hub's own ``datetime`` kind (``get_time``, ``get_date``), which the hub answers itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from hub.model import EMPTY
from hub.routing.language.catalog import Catalog, Entry
from hub.routing.language.mentions import Mentions
from hub.routing.language.resolution import NONE, OK, UNSURE, Candidate, Resolution
from hub.routing.language.safety import ambiguous
from hub.routing.language.text import Utterance, normalise, stem
from hub.routing.language.vocabulary import NOUNS

_NOUN_WORDS = frozenset(w for nouns in NOUNS.values() for noun in nouns for w in noun.split())

DATETIME_KIND = "datetime"
"""The hub's own clock: ``get_time`` and ``get_date``, answered without a device."""


@dataclass(frozen=True, slots=True)
class Found:
    kind: str
    tool: str
    entries: tuple[Entry, ...]
    args: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    confidence: float = 0.9
    why: str = ""
    unsure: str = ""
    held: tuple[Entry, ...] = ()

    def resolution(self, text: str) -> Resolution:
        """This finding as the resolver's answer (``none`` when the home lacks the device)."""
        targets = tuple(e.id for e in self.entries)
        candidates = [Candidate(self.kind, self.tool, targets, self.confidence, self.why)]
        candidates += [
            Candidate(self.kind, self.tool, (e.id,), round(self.confidence / 2, 3), "one of them")
            for e in self.held
        ]
        outcome = UNSURE if self.unsure else OK
        if (
            self.kind != DATETIME_KIND
            and not targets
            and not self.held
            and self.unsure.startswith("no ")
        ):
            outcome = NONE
        return Resolution(
            text=text,
            kind=self.kind,
            tool=self.tool,
            targets=targets,
            args=MappingProxyType(dict(self.args)),
            score=self.confidence,
            node=str(self.entries[0].capability.node) if self.entries else "",
            reasons=((self.unsure,) if self.unsure else ()) + (self.why,),
            candidates=tuple(candidates),
            outcome=outcome,
        )


@dataclass(frozen=True, slots=True)
class _Scene:
    """What a reader gets: the utterance and where it is said."""

    utterance: Utterance
    mentions: Mentions
    catalog: Catalog
    area: tuple[str, ...]

    @property
    def text(self) -> str:
        return self.utterance.text

    @property
    def said(self) -> str:
        """The text before typo correction: items and titles are kept as said ("bread")."""
        return normalise(self.utterance.raw)


# -- durations --------------------------------------------------------------------------------

_SECONDS = {"second": 1, "minute": 60, "hour": 3600}
_DURATION = re.compile(r"(\d+(?:\.\d+)?) (?:and a half )?(second|minute|hour)s?\b")


def duration(text: str) -> int | None:
    """Seconds in "5 minutes", "1 hour and 15 minutes", "an hour and a half", "90 seconds"."""
    total = 0.0
    found = False
    for match in _DURATION.finditer(text):
        value = float(match.group(1))
        if "and a half" in match.group(0):
            value += 0.5
        total += value * _SECONDS[match.group(2)]
        found = True
    for pattern, seconds in (
        (r"\b(?:an|1|a) hour and a half\b", 5400),
        (r"\bhalf an hour\b|\bhalf hour\b", 1800),
        (r"\b(?:a|one) quarter of an hour\b|\bquarter hour\b", 900),
        (r"\b(?:an|a) hour\b(?! and a half)", 3600),
        (r"\b(?:a|one) minute\b", 60),
        (r"\b(?:a|one) second\b", 1),
    ):
        if re.search(pattern, text) and not found:
            total += seconds
            found = True
    return int(total) if found else None


# -- choosing the entity ----------------------------------------------------------------------


def _pick(domain: str, scene: _Scene, *, words: str = "") -> tuple[list[Entry], str]:
    """The entities of `domain` meant: named, in the areas in play, or the only one."""
    pool = [e for e in scene.catalog.entries if e.domain == domain]
    if not pool:
        return [], f"no {domain.replace('_', ' ')} in this home"
    named = [m.entry for m in (*scene.mentions.names, *scene.mentions.partial)
             if m.entry.domain == domain]  # fmt: skip
    if words:
        heard = {stem(w) for w in words.split()}
        by_words = [e for e in pool if any(heard & set(n) for n in e.names) or heard & set(e.area)]
        named = by_words or named
    if named:
        return named, ""
    every = scene.mentions.every or scene.mentions.house
    if scene.mentions.areas:
        return [e for e in pool if e.area in scene.mentions.areas], ""
    if scene.area and not scene.mentions.house:
        local = [e for e in pool if e.area == scene.area]
        if local:
            return local, ""
    ids = [e.id for e in pool]
    why = ambiguous(ids, areas_in_play=False, quantified=every, plural=False,
                    noun=domain.replace("_", " "))  # fmt: skip
    return pool, why


def _found(kind: str, tool: str, scene: _Scene, args: Mapping[str, Any], why: str,
           *, words: str = "", many: bool = False) -> Found:  # fmt: skip
    entries, unsure = _pick(kind, scene, words=words)
    if many and unsure.startswith("which"):
        unsure = ""  # "cancel all timers": every one is meant
    if not entries:
        return Found(kind, tool, (), args, 0.3, why, unsure or f"no {kind} here")
    if unsure:
        return Found(kind, tool, (), args, 0.4, why, unsure, tuple(entries))
    return Found(kind, tool, tuple(entries), args, 0.9, why)


# -- to-do lists ------------------------------------------------------------------------------

_LIST = r"(?:the |my |our )?(?P<list>(?:[a-z']+ ){0,2}?)(?:list|to do list|todo list|todo|to do)\b"
_ADD = re.compile(
    r"\b(?:add|put|append|stick|write down|write|note down|jot down|include)"
    rf" (?P<item>.+?) (?:to|on|onto|in|into) {_LIST}"
)
_DONE = re.compile(
    r"\b(?:cross|tick|check|mark)(?: off)? (?P<item>.+?)(?: off)?(?: as (?:done|complete|completed))?"
    rf" (?:on|from|in|off) {_LIST}"
)
_REMOVE = re.compile(
    rf"\b(?:remove|delete|take|erase|drop) (?P<item>.+?) (?:off|from|out of) {_LIST}"
)
_SHOW = re.compile(
    rf"\b(?:what|anything)\b.*\b(?:on|in) {_LIST}"
    rf"|\b(?:read|show|tell me|list|check|open)\b.* {_LIST.replace('?P<list>', '?:')}"
    r"|\bwhat do (?:i|we) (?:need|have) to (?:buy|get|do)\b"
)
_ARTICLES = re.compile(r"^(?:some|a|an|the|more|also)\s+")


def _item(raw: str) -> str:
    return _ARTICLES.sub("", raw.strip()).strip()


def todo(scene: _Scene) -> Found | None:
    if not any(e.domain == "todo" for e in scene.catalog.entries):
        return None
    text = scene.said
    for pattern, tool in ((_ADD, "add_item"), (_DONE, "update_item"), (_REMOVE, "remove_item")):
        match = pattern.search(text)
        if match and _item(match.group("item")):
            item = _item(match.group("item"))
            args: dict[str, Any] = {"item": item}
            if tool == "update_item":
                args["status"] = "completed"
            elif tool == "remove_item":
                args["item"] = [item]
            return _found("todo", tool, scene, args, f"to-do: {tool} {item!r}",
                          words=match.group("list") or "")  # fmt: skip
    match = _SHOW.search(text)
    if match:
        words = match.groupdict().get("list") or ""
        return _found("todo", "get_items", scene, {"status": ["needs_action"]},
                      "to-do: what is on the list", words=words or "shopping")  # fmt: skip
    return None


# -- timers -----------------------------------------------------------------------------------

_TIMER = re.compile(r"\b(?:timers?|countdown|count(?:ing)? ?down)\b")
_REMIND = re.compile(
    r"\b(?:let me know|tell me|alert me|remind me|notify me|ping me|buzz me|wake me)\b.*\b(?:in|after"
    r"|when)\b|\bwhen it (?:is|has) been\b|\b(?:is|are) up\b|\bfrom now\b"
)
_TIMER_OPS: tuple[tuple[str, str], ...] = (
    (r"\bhow (?:much|long)\b|\btime (?:is )?left\b|\bremaining\b|\bstatus\b|\bleft on\b", "query"),
    (r"\b(?:add|extend|another|more|plus|increase|longer)\b", "more"),
    (r"\b(?:take|subtract|minus|less|shorten|reduce|knock|cut|remove) (?:\w+ ){0,3}?(?:\d|an?\b|half)",
     "less"),
    (r"\b(?:pause|hold|freeze)\b", "pause"),
    (r"\b(?:resume|continue|unpause|restart|carry on)\b", "resume"),
    (r"\b(?:cancel|stop|delete|remove|kill|turn off|clear|dismiss|abort|get rid of|switch off)\b",
     "cancel"),
    (r"\bfinish\b", "finish"),
)  # fmt: skip


def timer(scene: _Scene) -> Found | None:
    text = scene.text
    seconds = duration(text)
    if not (_TIMER.search(text) or (_REMIND.search(text) and seconds)):
        return None
    op = next((name for pattern, name in _TIMER_OPS if re.search(pattern, text)), "start")
    if op == "cancel" and re.match(r"(?:please )?(?:start|set|begin|create|make)\b", text):
        op = "start"  # "start the timer now and stop at 30 minutes"
    if op in ("more", "less") and seconds is None:
        op = "start" if op == "more" else "cancel"
    if op == "query" or (
        scene.utterance.question
        and op == "start"
        and seconds is None
        and not re.search(r"\b(?:set|start|create|make)\b", text)
    ):
        return _found("timer", "get_state", scene, {}, "timer: how long is left")
    many = bool(re.search(r"\b(?:all|every|both)\b", text))
    if op == "more" or op == "less":
        sign = 1 if op == "more" else -1
        return _found("timer", "change", scene, {"duration": sign * (seconds or 0)},
                      f"timer: {'add' if sign > 0 else 'take'} {seconds} s")  # fmt: skip
    if op == "start":
        args = {"duration": seconds} if seconds else {}
        return _found("timer", "start", scene, args, f"timer: start ({seconds or 'default'} s)")
    tool = {"pause": "pause", "resume": "start", "cancel": "cancel", "finish": "finish"}[op]
    return _found("timer", tool, scene, {}, f"timer: {op}", many=many)


# -- media search and play --------------------------------------------------------------------

_PLAY = re.compile(
    r"^(?:(?:hey|ok|okay|please|can you|could you|would you|will you|now) )*"
    r"(?:play|put on|start playing|queue up|queue|listen to|i want to (?:hear|listen to)"
    r"|i would like to (?:hear|listen to)|let us listen to|let me hear) (?P<rest>.+?)(?: please)?$"
)
_CLASSES = (
    (r"(?:the )?album", "album"),
    (r"(?:the )?playlist", "playlist"),
    (r"(?:the )?(?:artist|band)", "artist"),
    (r"(?:the )?(?:song|track|tune)", "track"),
    (r"(?:the )?podcast", "podcast"),
    (r"(?:the )?(?:radio station|station|radio)", "channel"),
    (r"(?:the )?audiobook", "audiobook"),
    (r"(?:some |my )?(?:music|songs|tracks) (?:by|from)", "artist"),
    (r"(?:something|anything) (?:by|from)", "artist"),
)
_GENERIC = re.compile(
    r"^(?:(?:some|the|my|a|any|more|that|this) )*(?:music|song|songs|track|tracks|it|something"
    r"|anything|again|tunes|media|video|movie|show|episode|next|previous|radio|playback"
    r"|last song|next song|previous song|next track|previous track|the next one|on|back)?$"
)


def media_search(scene: _Scene) -> Found | None:
    if not any(e.domain == "media_player" for e in scene.catalog.entries):
        return None
    match = _PLAY.search(scene.said)
    if not match:
        return None
    rest = match.group("rest")
    where = ""
    place = re.search(
        r" (?:in|on|through|from|via) (?:the |my )?(?P<where>(?:\w+ ){0,3}\w+)$", rest
    )
    if place and _is_place(place.group("where"), scene.catalog):
        where = place.group("where")
        rest = rest[: place.start()]
    content_type = "music"
    for pattern, kind in _CLASSES:
        head = re.match(pattern + r" (?P<query>.+)$", rest)
        if head:
            content_type, rest = kind, head.group("query")
            break
    if (
        _GENERIC.match(rest)
        or not _content(rest, scene.catalog)
        or re.search(r"\b(?:next|previous|upcoming|another|after this|again|last one)\b", rest)
    ):
        return None  # "play music", "play it again", "play the tv": playback, not a search
    query = _item(rest)
    args = {"media_content_id": query, "media_content_type": content_type}
    return _found("media_player", "play_media", scene, args,
                  f"search and play {content_type} {query!r}", words=where)  # fmt: skip


_FILLERS = frozenset(
    [
        "the",
        "a",
        "an",
        "my",
        "our",
        "some",
        "this",
        "that",
        "it",
        "again",
        "next",
        "previous",
        "last",
        "episode",
        "song",
        "track",
        "music",
        "please",
        "now",
        "on",
        "up",
        "back",
        "more",
        "of",
    ]
)


def _content(rest: str, catalog: Catalog) -> bool:
    """Whether `rest` names something to search for, not only a device or playback."""
    return any(
        w not in _FILLERS and stem(w) not in _NOUN_WORDS and stem(w) not in catalog.place_words
        for w in rest.split()
    )


def _is_place(words: str, catalog: Catalog) -> bool:
    stems = {stem(w) for w in words.split()} - {"room"}
    return any(
        stems & set(e.area) or any(stems & set(n) for n in e.names)
        for e in catalog.entries
        if e.domain == "media_player" or e.area
    )


# -- weather, time and date -------------------------------------------------------------------

_WEATHER = re.compile(
    r"\b(?:weather|forecast|rain|raining|rainy|snow|snowing|sunny|umbrella|cloudy|windy|storm"
    r"|(?:hot|cold|warm|temperature) (?:is it )?outside|outside temperature)\b"
)
_LATER = re.compile(r"\b(?:forecast|tomorrow|tonight|later|this week|weekend|next|will it)\b")


def weather(scene: _Scene) -> Found | None:
    if not _WEATHER.search(scene.text) or not any(
        e.domain == "weather" for e in scene.catalog.entries
    ):
        return None
    if _LATER.search(scene.text):
        kind = "hourly" if re.search(r"\b(?:hourly|tonight|later|this afternoon|this evening)\b",
                                     scene.text) else "daily"  # fmt: skip
        return _found(
            "weather", "get_forecasts", scene, {"type": kind}, f"weather: {kind} forecast"
        )
    return _found("weather", "get_state", scene, {}, "weather: now")


_TIME = re.compile(r"\bwhat time is it\b|\bwhat is the time\b|\b(?:current|the) time (?:now|please)?$"
                   r"|\bwhat time (?:is it|do we have)\b|\btell me the time\b")  # fmt: skip
_DATE = re.compile(r"\bwhat(?: is)? (?:the |today is )?date\b|\bwhat day is (?:it|today)\b"
                   r"|\btoday is date\b|\bwhich day is (?:it|today)\b|\bwhat is today\b")  # fmt: skip


def clock(scene: _Scene) -> Found | None:
    if _TIMER.search(scene.text):
        return None
    if _TIME.search(scene.text):
        return Found(DATETIME_KIND, "get_time", (), EMPTY, 0.9, "the time: the hub's clock")
    if _DATE.search(scene.text):
        return Found(DATETIME_KIND, "get_date", (), EMPTY, 0.9, "the date: the hub's clock")
    return None


# -- presence ---------------------------------------------------------------------------------

_ANYONE = r"(?:anyone|anybody|someone|somebody|everyone|everybody|people|the kids|the family)"
_PRESENCE = re.compile(
    rf"\b(?:is|are) (?:\w+ ){{0,2}}?(?:at |back )?(?:home|away|out|in|here|back)\b"
    rf"|\bwho is (?:at )?(?:home|here|in|out|away)\b|\bwhere (?:is|are)\b|\b{_ANYONE} (?:at )?home\b"
)


def presence(scene: _Scene) -> Found | None:
    """ "Is anyone home?", "is Anna home?", "where is Ben?": the people's state."""
    people = [e for e in scene.catalog.entries if e.domain == "person"]
    if not people or not _PRESENCE.search(scene.text):
        return None
    heard = set(scene.mentions.tokens)
    named = [e for e in people if any(set(n) <= heard for n in e.names)]
    if named:
        return Found("person", "get_state", tuple(named), EMPTY, 0.9, "presence: named people")
    if re.search(rf"\b(?:{_ANYONE[3:-1]}|who)\b", scene.text):
        return Found("person", "get_state", tuple(people), EMPTY, 0.85, "presence: everyone")
    return None


READERS: tuple[Callable[[_Scene], Found | None], ...] = (
    todo, timer, media_search, presence, weather, clock,
)  # fmt: skip


def special(
    utterance: Utterance, mentions: Mentions, catalog: Catalog, area: tuple[str, ...]
) -> Found | None:
    """The first family that recognises the utterance, or None (then the verbs decide)."""
    scene = _Scene(utterance, mentions, catalog, area)
    for reader in READERS:
        found = reader(scene)
        if found is not None:
            return found
    return None
