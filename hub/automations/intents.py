"""Matching device triggers by meaning: a `TriggerFired` carries an intent text ("person
at front door"); intent triggers fire when it is close to their phrase ("someone is at
the door"), and a trigger that nothing binds (no capability trigger, no intent trigger)
goes to the `on_unbound` listeners (the agents' push routing, hub/agents/push.py).

The embedding model is the router's (`hub.routing()`); it is loaded only when the first
device trigger arrives while an intent trigger or an unbound listener exists, so a hub
without them never loads it. One embedding per event (the embedder caches texts); the
phrases are embedded once.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.automations.dispatch import Dispatch
from hub.automations.hubapi import HubApi
from hub.errors import AtmosphereError
from hub.events import TriggerFired

if TYPE_CHECKING:
    from hub.routing import Embedder

_LOGGER = logging.getLogger(__name__)
Cancel = Callable[[], None]

DEFAULT_THRESHOLD = 0.35
"""Cosine similarity (all-MiniLM-L6-v2) above which an intent text matches a phrase.
Measured with bench/intent_threshold.py on a hand-labelled set: see docs/agents.md."""


@dataclass(frozen=True, slots=True)
class _Phrase:
    phrase: str
    threshold: float
    callback: Callable[[TriggerFired, str, float], None]


def intent_text(event: TriggerFired, name: str = "") -> str:
    """The event's intent text; without one, its trigger's name and its capability's."""
    if event.intent:
        return event.intent
    words = event.trigger.replace("_", " ")
    return f"{words} {name or event.capability_id}".strip()


class Intents:
    def __init__(self, hub: HubApi, dispatch: Dispatch,
                 spawn: Callable[[Awaitable[None], str], None]) -> None:
        self.hub = hub
        self._dispatch = dispatch
        self._spawn = spawn
        self._phrases: dict[int, _Phrase] = {}
        self._unbound: list[Callable[[TriggerFired, str], Awaitable[None]]] = []
        self._ids = itertools.count()
        self._cancel: Cancel | None = None
        self.matched = 0

    def start(self) -> None:
        self._cancel = self.hub.bus.listen(TriggerFired, self._on_fired)

    def stop(self) -> None:
        if self._cancel is not None:
            self._cancel()
            self._cancel = None

    def add(self, phrase: str, threshold: float,
            callback: Callable[[TriggerFired, str, float], None]) -> Cancel:
        """Call `callback(event, intent text, similarity)` for each device trigger whose
        intent text is at least `threshold` similar to `phrase`."""
        key = next(self._ids)
        self._phrases[key] = _Phrase(phrase, threshold, callback)

        def cancel() -> None:
            self._phrases.pop(key, None)

        return cancel

    def on_unbound(self, callback: Callable[[TriggerFired, str], Awaitable[None]]) -> Cancel:
        """Await `callback(event, intent text)` for each device trigger nothing binds."""
        self._unbound.append(callback)

        def cancel() -> None:
            if callback in self._unbound:
                self._unbound.remove(callback)

        return cancel

    def _on_fired(self, event: TriggerFired) -> None:
        if not self._phrases and not self._unbound:
            return
        bound = self._dispatch.binds(event.capability_id, event.trigger)
        self._spawn(self._match(event, bound), "automations.intents")

    async def _match(self, event: TriggerFired, bound: bool) -> None:
        capability = self.hub.registry.find(event.capability_id)
        text = intent_text(event, capability.name if capability is not None else "")
        fired = False
        phrases = list(self._phrases.values())
        if phrases:
            try:
                embedder = (await self.hub.routing()).embedder
                scores = await asyncio.to_thread(_scores, embedder, text,
                                                 [p.phrase for p in phrases])
            except AtmosphereError as exc:
                _LOGGER.warning("intent triggers not matched capability=%s trigger=%s: %s",
                                event.capability_id, event.trigger, exc)
                scores = []
            for phrase, score in zip(phrases, scores, strict=False):
                if score >= phrase.threshold:
                    fired = True
                    self.matched += 1
                    phrase.callback(event, text, score)
        if bound or fired:
            return
        for callback in tuple(self._unbound):
            await callback(event, text)


def _scores(embedder: Embedder, text: str, phrases: list[str]) -> list[float]:
    vectors = embedder.embed([text, *phrases])
    query = vectors[0]
    return [float(query.cosine(vectors[i])) for i in range(1, len(vectors))]


def similarities(embedder: Embedder, text: str, others: list[str]) -> list[float]:
    """Cosine similarity of `text` to each of `others` (blocking: run it in a thread)."""
    return _scores(embedder, text, others)


__all__ = ["DEFAULT_THRESHOLD", "Intents", "intent_text", "similarities"]
