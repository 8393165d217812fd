"""Utterance text made regular: lower case, contractions and number words spelt out as digits.

Everything downstream (the verb lexicon, the argument parser, target matching) reads the
`Utterance` made here, so the quirks of spoken and typed language are handled once:
"what's" is "what is", "twenty one and a half" is "21.5", "72°F" is "72 degrees f", and
"it's too dark, turn it up" has two clauses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})

# "'s" is "is" after these words and a possessive (dropped) after any other.
_IS_AFTER = frozenset({"what", "it", "that", "there", "how", "where", "who", "here", "he", "she"})
_BARE_CONTRACTIONS = {
    "whats": "what is",
    "hows": "how is",
    "wheres": "where is",
    "dont": "do not",
    "cant": "can not",
    "cannot": "can not",
    "wont": "will not",
    "didnt": "did not",
    "isnt": "is not",
    "arent": "are not",
    "im": "i am",
    "ive": "i have",
    "id": "i would",
    "ill": "i will",
}
# Spelling variants and short forms that name the same thing.
_SYNONYMS = {
    "colour": "color",
    "colours": "colors",
    "grey": "gray",
    "cam": "camera",
    "cams": "cameras",
    "temp": "temperature",
    "temps": "temperature",
    "pic": "picture",
    "pics": "pictures",
    "lite": "light",
    "aircon": "air con",
    "airconditioner": "air conditioner",
    "mins": "minutes",
    "min": "minute",
    "secs": "seconds",
    "sec": "second",
    "hrs": "hours",
    "hr": "hour",
    "ok": "okay",
    "pls": "please",
    "plz": "please",
    "thermo": "thermostat",
    "television": "tv",
    "telly": "tv",
    "tele": "tv",
}

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip

_QUESTION_OPENERS = frozenset(
    {"is", "are", "was", "were", "did", "does", "has", "have", "had", "what", "which", "how",
     "where", "who", "when", "why", "whether"}
)  # fmt: skip
_FILLERS = frozenset({"hey", "ok", "okay", "so", "and", "please", "um", "uh", "well", "oh"})
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+")


@dataclass(frozen=True, slots=True)
class Clause:
    """One clause of an utterance: its text, its tokens, and whether it asks something."""

    text: str
    tokens: tuple[str, ...]
    question: bool


@dataclass(frozen=True, slots=True)
class Utterance:
    raw: str
    text: str
    """Normalised: lower case, contractions expanded, numbers as digits, single spaces."""
    tokens: tuple[str, ...]
    clauses: tuple[Clause, ...]

    @property
    def question(self) -> bool:
        """Whether every clause asks: "is it on? turn it off" is a command, not a question."""
        return bool(self.clauses) and all(c.question for c in self.clauses)


def _expand_contractions(text: str) -> str:
    def apostrophe(match: re.Match[str]) -> str:
        word, suffix = match.group(1), match.group(2)
        if suffix == "s":
            return f"{word} is" if word in _IS_AFTER else word
        if suffix == "t":  # n't
            stem = word.removesuffix("n")
            return {"ca": "can", "wo": "will", "sha": "shall"}.get(stem, stem) + " not"
        return (
            word + " " + {"m": "am", "d": "would", "ll": "will", "re": "are", "ve": "have"}[suffix]
        )

    text = re.sub(r"\b([a-z]+)'(s|t|m|d|ll|re|ve)\b", apostrophe, text)
    return re.sub(r"'", " ", text)


def _numbers_to_digits(words: list[str]) -> list[str]:
    """Turn runs of number words into one digit token: "seventy five" is "75"."""
    out: list[str] = []
    i = 0
    while i < len(words):
        value, j = _read_number(words, i)
        if j == i:
            out.append(words[i])
            i += 1
            continue
        # "twenty one and a half", "2 and a half"
        if words[j : j + 3] == ["and", "a", "half"]:
            value += 0.5
            j += 3
        elif words[j : j + 2] == ["point", "five"] or words[j : j + 2] == ["point", "5"]:
            value += 0.5
            j += 2
        out.append(_format(value))
        i = j
    return out


def _read_number(words: list[str], i: int) -> tuple[float, int]:
    total = 0.0
    current = 0.0
    j = i
    seen = False
    while j < len(words):
        word = words[j]
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred" and (seen or (j > i and words[j - 1] == "a")):
            current = max(current, 1) * 100
        elif word == "thousand" and seen:
            total += max(current, 1) * 1000
            current = 0
        elif word == "and" and seen and j + 1 < len(words) and words[j + 1] in _UNITS | _TENS:
            pass  # "one hundred and five"
        elif word.isdigit() and not seen:
            return float(word), j + 1
        else:
            break
        seen = True
        j += 1
    if not seen:
        return 0.0, i
    return total + current, j


def _format(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def normalise(raw: str) -> str:
    """Lower case, symbols spelt out, contractions expanded, number words as digits."""
    text = raw.translate(_APOSTROPHES).casefold()
    text = text.replace("°", " degrees ").replace("℃", " degrees c ").replace("℉", " degrees f ")
    text = text.replace("%", " percent ").replace("&", " and ").replace("a/c", "ac")
    text = _expand_contractions(text)
    # "45mins", "4000k", "72f": split a number from the unit glued to it.
    text = re.sub(r"(\d)([a-z])", r"\1 \2", text)
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text)  # "under-cabinet" as two words
    words: list[str] = []
    for word in _TOKEN.findall(text):
        expanded = _BARE_CONTRACTIONS.get(word) or _SYNONYMS.get(word) or word
        words.extend(expanded.split())
    return " ".join(_numbers_to_digits(words))


def _is_question(tokens: tuple[str, ...], raw: str) -> bool:
    words = [t for t in tokens]
    while words and words[0] in _FILLERS:
        words = words[1:]
    if not words:
        return False
    first = words[0]
    if first in {"have", "has", "had"}:  # "have the blinds close" orders; "have you..." asks
        return len(words) > 1 and words[1] in {"you", "i", "we", "they", "he", "she", "it",
                                                "anyone", "someone", "everyone", "anybody"}
    if first in {"do", "does"}:
        return len(words) > 1 and words[1] in {"i", "you", "we", "they", "it", "the", "any"}
    if first in _QUESTION_OPENERS and words[:3] != ["is", "it", "possible"]:
        return True
    if words[:2] == ["tell", "me"] or first in {"check", "show", "look", "see"}:
        return True
    text = " ".join(words)
    if re.match(r"(?:change|switch|alter|flip|reverse|toggle|invert) ", text):
        return False  # "change the status of the pool light" toggles it
    if "status" in words or "state" in words or words[-2:] == ["state", "of"]:
        return True
    # Indirect questions: "find out if the fan is off", "let me know whether it is on".
    if re.search(r"\b(?:whether|if) (?:\w+ ){0,4}?(?:is|are|was|were|has been|have been)\b", text):
        return True
    if words[:3] == ["is", "it", "possible"]:
        return False  # "is it possible to start the vacuum?" asks for it to be done
    return raw.rstrip().endswith("?") and first not in {
        "can", "could", "would", "will", "may", "might", "shall",
    }  # fmt: skip


def parse(raw: str) -> Utterance:
    """Normalise `raw` and split it into clauses (at "?", "!", ";", "," and " then ")."""
    pieces = [p for p in re.split(r"[?!;,:]|\.(?!\d)|\bthen\b", raw) if p.strip()]
    marks = re.findall(r"[?!;,:]|\.(?!\d)|\bthen\b", raw)
    clauses: list[Clause] = []
    for index, piece in enumerate(pieces):
        text = normalise(piece)
        tokens = tuple(text.split())
        if not tokens:
            continue
        mark = marks[index] if index < len(marks) else ""
        clauses.append(Clause(text, tokens, _is_question(tokens, piece + mark)))
    text = normalise(raw)
    return Utterance(raw=raw, text=text, tokens=tuple(text.split()), clauses=tuple(clauses))


def stem(word: str) -> str:
    """A crude singular: "lights" and "light", "batteries" and "battery" compare equal."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith(("ches", "shes", "xes", "sses", "zzes")):
        return word[:-2]  # "switches", "boxes"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count 1), cut off above `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], previous2[j - 2] + 1)
        if min(row) > limit:
            return limit + 1
        previous2, previous = previous, row
    return previous[-1]
