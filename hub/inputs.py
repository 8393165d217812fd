"""Input from outside, checked where it enters: MQTT topics, text, numbers and JSON.

Whatever a device, a broker, a peer or an HTTP client sends passes one of these checks
before it reaches the fabric, the store or the API; what fails is bad input (a
`PayloadError` that says where and what), never a crash further in. The limits and why
each exists are in docs/input-limits.md.

Topics follow MQTT 5 (section 4.7 and the UTF-8 string rules of 1.5.4), tightened to
what Mosquitto refuses: a client that sends a topic with a NUL, a control character
(U+0001..U+001F, U+007F..U+009F), a surrogate (U+D800..U+DFFF) or a Unicode non-character
(U+FDD0..U+FDEF, U+xFFFE, U+xFFFF) is disconnected for a malformed packet, so such a topic
must never be sent. Topics are at most 65,535 bytes of UTF-8; wildcards (``+``, ``#``)
only in filters, each a whole level, ``#`` only last.

JSON is read with a size limit, a depth limit (checked before parsing, so deep nesting
never reaches the recursive parser), no ``NaN``/``Infinity``/overflowing numbers (JSON
has none, and no store or answer can carry them), no lone surrogates in text (``"\\ud800"``
decodes to a string that is not Unicode and cannot be written out again as UTF-8) and
integers of at most 4,300 digits (Python's own limit).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from itertools import accumulate
from typing import Any, Literal

from hub.errors import PayloadError

MAX_TOPIC_BYTES = 65_535
"""An MQTT string is at most 65,535 bytes (its length is two bytes on the wire)."""
MAX_JSON_DEPTH = 64
"""Nesting levels read: Zigbee2MQTT's device list, the deepest JSON the hub reads, has
about 10; Python's parser and every recursive walk stay far from the recursion limit."""

_FORBIDDEN_IN_TOPICS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
"""What Mosquitto refuses in a topic, in the Basic Multilingual Plane; the other planes'
non-characters (U+1FFFE, U+1FFFF, ... U+10FFFF) are checked apart: a character class
holding them makes every search several times slower."""
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


# -- text ----------------------------------------------------------------------------------------


def _char(text: str) -> str:
    return f"U+{ord(text):04X}"


def text_problem(text: str) -> str | None:
    """Why `text` cannot be a name or a value the hub keeps: a NUL or a lone surrogate."""
    if "\x00" in text:
        return f"holds a NUL character (U+0000) at {text.index(chr(0))}"
    if not text.isascii():
        found = _LONE_SURROGATE.search(text)
        if found is not None:
            return (f"holds {_char(found.group())} at {found.start()}, a lone surrogate, "
                    "which is not Unicode text")
    return None


def check_text(value: Any, where: str) -> str:
    """`value` if it is text without NUL or lone surrogates; PayloadError otherwise."""
    if not isinstance(value, str):
        raise PayloadError(f"{where}: expected text, got {type(value).__name__}")
    problem = text_problem(value)
    if problem is not None:
        raise PayloadError(f"{where}: {shown(value)} {problem}")
    return value


def shown(value: Any, limit: int = 60) -> str:
    """`repr` cut to `limit` characters: for error messages about hostile values."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- topics --------------------------------------------------------------------------------------


def _topic_string_problem(topic: str) -> str | None:
    if not topic:
        return "must not be empty"
    if topic.isascii():
        if len(topic) > MAX_TOPIC_BYTES:
            return f"is {len(topic)} bytes long; MQTT allows at most {MAX_TOPIC_BYTES}"
        if topic.isprintable():  # ASCII without control characters: the usual topic
            return None
        size = len(topic)
    else:
        try:
            size = len(topic.encode())
        except UnicodeEncodeError as exc:
            return (f"holds {_char(topic[exc.start])} at {exc.start}, a lone surrogate, "
                    "which UTF-8 cannot carry")
    if size > MAX_TOPIC_BYTES:
        return f"is {size} bytes long; MQTT allows at most {MAX_TOPIC_BYTES}"
    found = _FORBIDDEN_IN_TOPICS.search(topic)
    if found is not None:
        return _refused(found.group(), found.start())
    if max(topic) > "\uffff":
        for i, char in enumerate(topic):
            if ord(char) & 0xFFFE == 0xFFFE:
                return _refused(char, i)
    return None


def _refused(char: str, index: int) -> str:
    return (f"holds {_char(char)} at {index}, which MQTT brokers refuse in a topic (NUL, "
            "control characters, surrogates and non-characters)")


def topic_problem(topic: str) -> str | None:
    """Why `topic` cannot be published to (None when it can)."""
    problem = _topic_string_problem(topic)
    if problem is None and ("+" in topic or "#" in topic):
        return "must not hold a wildcard (+ or #): only subscriptions may use them"
    return problem


def filter_problem(pattern: str) -> str | None:
    """Why `pattern` cannot be subscribed to (None when it can)."""
    problem = _topic_string_problem(pattern)
    if problem is not None:
        return problem
    levels = pattern.split("/")
    if levels[0] == "$share":
        if len(levels) < 3 or not levels[1] or "+" in levels[1] or "#" in levels[1]:
            return "must be $share/<group>/<filter>, the group named without wildcards"
        levels = levels[2:]
    last = len(levels) - 1
    for i, level in enumerate(levels):
        if "#" in level and (level != "#" or i != last):
            return "'#' must be a whole level and the last one"
        if "+" in level and level != "+":
            return "'+' must be a whole level"
    return None


def check_topic(topic: Any, where: str) -> str:
    """`topic` if one can publish to it; PayloadError naming `where` otherwise."""
    if not isinstance(topic, str):
        raise PayloadError(f"{where}: expected a topic, got {shown(topic)}")
    problem = topic_problem(topic)
    if problem is not None:
        raise PayloadError(f"{where}: topic {shown(topic)}: {problem}")
    return topic


def check_filter(pattern: Any, where: str) -> str:
    """`pattern` if one can subscribe to it; PayloadError naming `where` otherwise."""
    if not isinstance(pattern, str):
        raise PayloadError(f"{where}: expected a topic, got {shown(pattern)}")
    problem = filter_problem(pattern)
    if problem is not None:
        raise PayloadError(f"{where}: topic {shown(pattern)}: {problem}")
    return pattern


# -- numbers -------------------------------------------------------------------------------------


def is_finite(value: Any) -> bool:
    """True for ints and finite floats (not for NaN or an infinity, nor for booleans)."""
    kind = type(value)
    if kind is int:
        return True
    # x - x is 0.0 for every finite float and NaN for NaN and the infinities
    return kind is float and not value - value


def check_number(value: Any, where: str) -> float:
    """`value` as a float if it is a finite number (not a boolean); PayloadError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PayloadError(f"{where}: expected a number, got {shown(value)}")
    if isinstance(value, float) and value - value:
        raise PayloadError(f"{where}: expected a finite number, got {value!r}")
    return float(value)


# -- values on their way to the store and the API ----------------------------------------------


class _Marked:
    """Where a non-finite number was in JSON read with ``bad="keep"``: its text, which
    `value_problem` reports and nothing can mistake for a number."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token

    def __repr__(self) -> str:
        return self.token


def value_problem(value: Any, path: str = "") -> str | None:
    """Where `value` holds what JSON (as the store and the API write it) cannot carry: a
    number that is not finite or text with a lone surrogate, as ``"path: what"`` (``path``
    ``""`` is the value itself: ``": what"``); None when it holds neither. Mappings, lists
    and tuples are walked, keys included."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        kind = type(item)
        if kind is float:
            if item - item:
                return f"{where}: {item!r} is not a finite number"
        elif kind is str:
            if not item.isascii():
                found = _LONE_SURROGATE.search(item)
                if found is not None:
                    return (f"{where}: text holds {_char(found.group())}, a lone surrogate, "
                            "which is not Unicode text")
        elif kind is _Marked:
            return f"{where}: {item.token} is not a finite number"
        elif kind is dict or isinstance(item, Mapping):
            for key, child in item.items():
                if type(key) is str and not key.isascii() and _LONE_SURROGATE.search(key):
                    return (f"{where + ': ' if where else ''}the key {shown(key)} holds a "
                            "lone surrogate, which is not Unicode text")
                stack.append((f"{where}.{key}" if where else str(key), child))
        elif kind is list or kind is tuple:
            stack.extend((f"{where}[{i}]", child) for i, child in enumerate(item))
    return None


def state_problem(changes: Mapping[str, Any]) -> str | None:
    """`value_problem` for a state change, fast for the usual flat one: only containers
    are walked."""
    for key, value in changes.items():
        kind = type(value)
        if kind is float:
            if value - value:
                return f"{key}: {value!r} is not a finite number"
        elif kind is str:
            if not value.isascii() and _LONE_SURROGATE.search(value):
                return value_problem(value, key)
        elif kind is not int and kind is not bool and value is not None:
            problem = value_problem(value, key)
            if problem is not None:
                return problem
    return None


# -- JSON ----------------------------------------------------------------------------------------


Bad = Literal["refuse", "drop", "keep"]
"""What `load_json` does with a non-finite number or a lone surrogate: refuse the input,
drop the top-level members holding one, or keep them for the caller to judge piece by
piece with `value_problem` (non-finite numbers then come back as marks, never floats)."""


class _NotFinite(Exception):
    """Raised by the strict decoder's hooks: the text holds a number no float can hold."""


def _refuse_constant(token: str) -> Any:
    raise _NotFinite(token)


def _finite_float(token: str) -> float:
    value = float(token)
    if value - value:  # 1e999 overflows to inf
        raise _NotFinite(token)
    return value


def _mark_float(token: str) -> Any:
    value = float(token)
    return _Marked(token) if value - value else value


_STRICT = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)
_MARKING = json.JSONDecoder(parse_constant=_Marked, parse_float=_mark_float)


_DEPTH_CHUNK = 4096


def json_depth(text: str, limit: int | None = None) -> int:
    """How deeply `text` nests arrays and objects (brackets inside strings not counted);
    computed without parsing, in C-speed passes, so deep input costs no recursion. With
    `limit`, counting stops in the first chunk of brackets that goes deeper (the result
    is then the depth reached so far): hostile nesting costs a chunk, not the payload."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    deepest = depth = 0
    for start in range(0, len(brackets), _DEPTH_CHUNK):
        levels = list(accumulate(map(_STEP.__getitem__, brackets[start:start + _DEPTH_CHUNK]),
                                 initial=depth))
        deepest, depth = max(deepest, max(levels)), levels[-1]
        if limit is not None and deepest > limit:
            break
    return deepest


def load_json(
    data: bytes | str,
    where: str = "",
    *,
    subject: str = "payload",
    max_bytes: int | None = None,
    max_depth: int = MAX_JSON_DEPTH,
    bad: Bad = "refuse",
    dropped: list[str] | None = None,
) -> Any:
    """The JSON value of `data`, or PayloadError saying what is wrong with it.

    `where` starts every message (a topic; nothing when empty) and `subject` names the
    thing read (``payload``, ``body``). Checked: the size (`max_bytes`, when given), UTF-8,
    the nesting depth (before parsing), the syntax, integers of at most 4,300 digits, and
    per `bad` the numbers that are not finite and text with lone surrogates. With
    ``bad="drop"`` a top-level object keeps its good members and each dropped one is
    described in `dropped`: a sensor's one broken reading costs that reading, not the
    report.
    """
    if max_bytes is not None and len(data) > max_bytes:
        raise PayloadError(f"{_prefix(where)}{subject} of {len(data)} bytes is over the limit "
                           f"of {max_bytes} bytes")
    if isinstance(data, str):
        text = data
    else:
        try:
            text = data.decode()
        except UnicodeDecodeError as exc:
            raise PayloadError(f"{_prefix(where)}{subject} is not UTF-8 (bad byte at "
                               f"{exc.start})") from None
    if text.count("[") + text.count("{") > max_depth:  # else it cannot be too deep
        depth = json_depth(text, max_depth)
        if depth > max_depth:
            shown_depth = f"{depth}" if depth < _DEPTH_CHUNK else f"at least {depth}"
            raise PayloadError(f"{_prefix(where)}{subject} is nested {shown_depth} levels "
                               f"deep; at most {max_depth} are read")
    try:
        value = _parse(_STRICT, text, where, subject)
    except _NotFinite:
        # the slow path, for rare input: parsed again, the numbers marked where they are
        value = _parse(_MARKING, text, where, subject)
    else:
        if "\\u" not in text or not _SURROGATE_ESCAPE.search(text):
            return value  # the usual case: nothing to judge
    if bad == "keep":
        return value
    if bad == "drop" and type(value) is dict:
        for key in list(value):
            problem = value_problem({key: value[key]})
            if problem is not None:
                del value[key]
                if dropped is not None:
                    dropped.append(problem)
        return value
    problem = value_problem(value)
    if problem is None:
        return value
    if problem.startswith(":"):  # the value itself, not a part of it
        problem = subject + problem
    raise PayloadError(_prefix(where) + problem)


def _prefix(where: str) -> str:
    return f"{where}: " if where else ""


def _parse(decoder: json.JSONDecoder, text: str, where: str, subject: str) -> Any:
    try:
        try:
            value, end = decoder.raw_decode(text)  # the fast path: no leading whitespace
        except ValueError:
            end = -1
        if end != len(text):
            value = decoder.decode(text)  # json.loads' rules (whitespace) and its messages
    except json.JSONDecodeError as exc:
        raise PayloadError(f"{_prefix(where)}{subject} is not JSON: {exc}") from None
    except ValueError:  # int() refuses more digits than the interpreter's limit
        raise PayloadError(f"{_prefix(where)}{subject} holds an integer of more than "
                           f"{sys.get_int_max_str_digits()} digits") from None
    except RecursionError:  # the depth check makes this unreachable; be sure all the same
        raise PayloadError(f"{_prefix(where)}{subject} is nested too deeply") from None
    return value
