"""Push triggers routed by intent: a device trigger that no automation binds goes to the
agent whose declared `purpose` is closest in meaning to the trigger's intent text, when
that similarity reaches `threshold` (measured: bench/intent_threshold.py, docs/agents.md).

An agent takes routed triggers of priority >= its `min_priority`, the same device trigger
at most once per its `throttle` seconds, and works through them one at a time, highest
priority first (at most `QUEUE` waiting; past that the lowest priority is dropped).
Whatever is not routed is logged with the reason (rate-limited) and counted; the last
decisions are kept for the API (`decisions`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hub.agents.config import AgentConfig
from hub.automations.intents import similarities
from hub.clock import Clock
from hub.errors import AtmosphereError
from hub.events import TriggerFired
from hub.logthrottle import LogThrottle
from hub.routing import Embedder

_LOGGER = logging.getLogger(__name__)
PURPOSE_THRESHOLD = 0.25
"""Cosine similarity of a trigger's intent text to an agent's purpose needed to route it
(measured on a hand-labelled set, bench/intent_threshold.py; docs/agents.md)."""
QUEUE = 16
KEPT = 100


@dataclass(frozen=True, slots=True)
class Decision:
    time: float
    capability: str
    trigger: str
    intent: str
    agent: str
    """The agent it went to, or the best one when it was not routed ("" when none)."""
    similarity: float
    routed: bool
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"time": self.time, "capability": self.capability, "trigger": self.trigger,
                "intent": self.intent, "agent": self.agent,
                "similarity": round(self.similarity, 3), "routed": self.routed,
                "reason": self.reason}


Handle = Callable[[str, dict[str, Any]], Awaitable[None]]


class PushRouter:
    def __init__(self, agents: Sequence[AgentConfig], embedder: Callable[[], Awaitable[Embedder]],
                 handle: Handle, clock: Clock, *, threshold: float = PURPOSE_THRESHOLD
                 ) -> None:
        self.agents = [a for a in agents if a.route_events and a.purpose]
        self.threshold = threshold
        self._embedder = embedder
        self._handle = handle
        self._clock = clock
        self._last: dict[tuple[str, str, str], float] = {}
        self._queues: dict[str, asyncio.PriorityQueue[tuple[int, int, dict[str, Any]]]] = {}
        self._seq = itertools.count()
        self._log = LogThrottle(clock)
        self.decisions: deque[Decision] = deque(maxlen=KEPT)
        self.routed = 0
        self.not_routed = 0
        self.dropped = 0

    def queue(self, agent_id: str) -> asyncio.PriorityQueue[tuple[int, int, dict[str, Any]]]:
        found = self._queues.get(agent_id)
        if found is None:
            found = self._queues[agent_id] = asyncio.PriorityQueue()
        return found

    async def work(self, agent_id: str) -> None:
        """One agent's worker: its routed events, highest priority first (runs forever)."""
        queue = self.queue(agent_id)
        while True:
            _, _, event = await queue.get()
            try:
                await self._handle(agent_id, event)
            except AtmosphereError as exc:
                _LOGGER.warning("routed trigger failed agent=%s capability=%s: %s", agent_id,
                                event.get("capability"), exc)

    async def route(self, event: TriggerFired, text: str) -> None:
        takers = [a for a in self.agents if event.priority >= a.min_priority]
        if not takers:
            self._skip(event, text, "", 0.0, "no agent takes routed triggers of priority "
                       f"{event.priority}" if self.agents else "no agent has a purpose")
            return
        embedder = await self._embedder()
        scores = await asyncio.to_thread(similarities, embedder, text,
                                         [a.purpose for a in takers])
        score, agent = max(zip(scores, takers, strict=True), key=lambda pair: pair[0])
        if score < self.threshold:
            self._skip(event, text, agent.id, score, f"best purpose similarity {score:.2f} is "
                       f"below the threshold {self.threshold:.2f}")
            return
        key = (agent.id, event.capability_id, event.trigger)
        now = self._clock.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < agent.throttle:
            self._skip(event, text, agent.id, score, f"throttled ({agent.throttle:g} s)")
            return
        self._last[key] = now
        queue = self.queue(agent.id)
        if queue.qsize() >= QUEUE:
            self._drop_lowest(queue, agent.id)
        payload = {"capability": event.capability_id, "entity_id": event.capability_id,
                   "name": event.trigger, "intent": text, "payload": dict(event.payload),
                   "priority": event.priority, "similarity": round(score, 3),
                   "platform": "routed"}
        queue.put_nowait((-event.priority, next(self._seq), payload))
        self.routed += 1
        self.decisions.append(Decision(event.time, event.capability_id, event.trigger, text,
                                       agent.id, score, True, "routed"))
        _LOGGER.info("device trigger routed to agent=%s similarity=%.2f capability=%s "
                     "trigger=%s intent=%r", agent.id, score, event.capability_id,
                     event.trigger, text)

    def _drop_lowest(self, queue: asyncio.PriorityQueue[tuple[int, int, dict[str, Any]]],
                     agent_id: str) -> None:
        items = [queue.get_nowait() for _ in range(queue.qsize())]
        items.sort()
        items.pop()  # the lowest priority, newest among equals
        for item in items:
            queue.put_nowait(item)
        self.dropped += 1
        _LOGGER.warning("routed trigger dropped: the queue of agent=%s is full (%d)", agent_id,
                        QUEUE)

    def _skip(self, event: TriggerFired, text: str, agent: str, score: float,
              reason: str) -> None:
        self.not_routed += 1
        self.decisions.append(Decision(event.time, event.capability_id, event.trigger, text,
                                       agent, score, False, reason))
        if self._log.allow(f"{event.capability_id}/{event.trigger}"):
            _LOGGER.info("device trigger not routed capability=%s trigger=%s intent=%r "
                         "best=%s: %s", event.capability_id, event.trigger, text,
                         agent or "none", reason)
