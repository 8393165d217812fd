"""AI services by what is asked of them: chat, vision, transcription, embeddings, search.

Each family has cue patterns with weights ("transcribe" 3, "this recording" 2...) and the
capability types it serves (``vision/describe`` for "describe this photo"). A family whose
own type is missing falls back to a near one (any ``vision/...`` type for a photo).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_MEDIA_IMAGE = r"\b(?:photo|photos|picture|pictures|image|images|screenshot|snapshot|photograph|frame|jpeg|jpg|png|selfie|scan)\b"
_MEDIA_AUDIO = r"\b(?:audio|recording|recordings|voice memo|voice message|voice note|podcast|wav|mp3|clip|dictation|interview|voicemail)\b"
_DEICTIC = r"\b(?:this|these|that|the attached|attached|my|following)\b"

# family -> (pattern, weight)
_CUES: dict[str, tuple[tuple[str, float], ...]] = {
    "describe": (
        (r"\bdescri(?:be|ption)\b", 2.0),
        (r"\bcaption\w*\b", 3.0),
        (r"\balt text\b", 3.0),
        (r"\bwhat (?:is|am i looking at|do you see)\b", 1.0),
        (r"\b(?:shows?|happening|going on|looking at|look at)\b", 1.0),
        (_MEDIA_IMAGE, 2.5),
    ),
    "detect": (
        (r"\bdetect\w*\b", 3.0),
        (r"\bcount\w*\b|\bhow many\b", 2.5),
        (r"\bbounding box\w*\b", 3.0),
        (r"\b(?:is|are) there (?:a|an|any|some)\b", 1.5),
        (r"\b(?:find|spot|locate|identify|recogni[sz]e)\b", 1.0),
        (r"\b(?:objects?|faces?|people|persons?|cars?|animals?|dogs?|cats?|packages?)\b", 1.0),
        (_MEDIA_IMAGE, 2.0),
    ),
    "transcribe": (
        (r"\btranscri\w*\b", 3.0),
        (r"\bspeech to text\b|\b(?:in)?to text\b|\bsubtitles?\b", 3.0),
        (r"\bwhat did (?:they|he|she|you|i|we) say\b|\bwrite (?:down|out)\b", 1.5),
        (r"\bwords\b|\bsaid\b", 0.5),
        (_MEDIA_AUDIO, 2.0),
    ),
    "embed": (
        (r"\bembed\w*\b", 3.0),
        (r"\bvectori[sz]\w*\b|\bvectors?\b", 3.0),
        (r"\bencode\b|\bsimilarity\b|\bclustering\b|\bsemantic\b", 1.0),
    ),
    "search": (
        (r"\bsearch\w*\b", 3.0),
        (r"\blook (?:it |this |that )?up\b|\blook online\b|\bgoogle\b", 3.0),
        (r"\b(?:web|online|internet|websites?|webpages?)\b", 2.0),
        (
            r"\bfind (?:me )?(?:\w+ )?(?:news|articles?|websites?|pages?|information|info|results)\b",
            3.0,
        ),
        (r"\b(?:news|latest|reviews?|opening hours)\b", 1.0),
    ),
    "chat": (
        (r"\b(?:joke|poem|haiku|story|limerick|essay|letter|email|reply)\b", 1.0),
        (r"\b(?:write|draft|rewrite|summari[sz]e|translate|explain|brainstorm)\b", 1.5),
        (r"\b(?:chat|talk to me|talk with me|conversation|assistant|advice|ideas?)\b", 1.5),
        (r"\b(?:help me|what should|who wrote|meaning of|how do i|capital of)\b", 1.0),
    ),
}
_COMPILED = {family: tuple((re.compile(p), w) for p, w in cues) for family, cues in _CUES.items()}

# What a family is called in capability types, in order of preference.
_TYPES: dict[str, tuple[str, ...]] = {
    "describe": ("vision/describe", "vision/caption", "describe", "caption", "vision"),
    "detect": ("vision/detect", "detect", "vision"),
    "transcribe": ("audio/transcribe", "transcribe", "stt", "speech", "asr"),
    "embed": ("embeddings", "embed"),
    "search": ("search",),
    "chat": ("llm/chat", "chat", "llm", "agent"),
}

# The least cue score that counts: one vague word ("what is", "cat") is no request for
# a vision model; chat, the fallback anyway, takes any cue.
THRESHOLDS = {"describe": 3.0, "detect": 3.0, "transcribe": 3.0, "embed": 3.0, "search": 3.0,
              "chat": 1.0}  # fmt: skip

DESCRIPTIONS = {
    "describe": "describe or caption what a photo or image shows",
    "detect": "detect and count objects, people or cars in an image",
    "transcribe": "transcribe speech in an audio recording into text",
    "embed": "compute embedding vectors of texts for similarity",
    "search": "search the web or documents for information",
    "chat": "chat, answer a question, write or summarise text",
}


def all_patterns() -> list[tuple[str, float]]:
    return [cue for cues in _CUES.values() for cue in cues]


@dataclass(frozen=True, slots=True)
class ServiceCue:
    family: str
    score: float
    phrases: tuple[str, ...]


def cues(text: str) -> list[ServiceCue]:
    """Every family that the normalised `text` gives a cue for, best first."""
    found: list[ServiceCue] = []
    deictic = bool(re.search(_DEICTIC, text))
    for family, patterns in _COMPILED.items():
        score = 0.0
        phrases: list[str] = []
        for pattern, weight in patterns:
            match = pattern.search(text)
            if match:
                score += weight
                phrases.append(match.group(0))
        if score and deictic and family in ("describe", "detect", "transcribe"):
            media = _MEDIA_IMAGE if family != "transcribe" else _MEDIA_AUDIO
            if re.search(media, text):
                score += 1.0  # "this photo": something is handed over to be looked at
        if score:
            found.append(ServiceCue(family, score, tuple(phrases)))
    found.sort(key=lambda c: -c.score)
    return found


def family_of(kind: str) -> str | None:
    """The family a capability type belongs to, if it is an AI service."""
    for family, types in _TYPES.items():
        if kind in types:
            return family
    for family, types in _TYPES.items():
        if any(kind.startswith(t + "/") or kind.endswith("/" + t) for t in types):
            return family
    return None


def kinds_for(family: str, available: Iterable[str]) -> list[str]:
    """The available capability types that serve `family`, best first."""
    available = list(available)
    for preferred in _TYPES[family]:
        exact = [k for k in available if k == preferred]
        if exact:
            return exact
        near = [
            k for k in available if k.startswith(preferred + "/") or k.endswith("/" + preferred)
        ]
        if near:
            return sorted(near)
    return []
