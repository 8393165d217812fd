"""Topics shared by many entities: one fabric subscription per topic, one decode per message.

Every entity subscribes through the router. A message is wrapped in one `Payload` and
handed to each entity that reads its topic; what a handler cannot read (`PayloadError`) is
bad input, counted against the message's topic (the device's topic) once per message, so a
device whose shared state topic feeds ten entities counts one bad message, not ten.

A handler whose template goes over its budget (`BudgetExceeded`) `STRIKES` times in a row
is dropped, with a WARNING naming the template and the entity: a template that never ends
must not cost the loop its whole budget on every message for ever. The entity reads that
topic again when its configuration is announced again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from hub.devices import BadInputLog
from hub.errors import PayloadError
from hub.fabric import Fabric, Message
from hub.templates import BudgetExceeded, UndefinedValue
from integrations.mqtt_discovery.payload import MAX_TEXT_BYTES, Payload

_LOGGER = logging.getLogger(__name__)

Handler = Callable[[Payload], None]
Cancel = Callable[[], None]

STRIKES = 3
"""Renders over budget in a row after which a handler is dropped."""


@dataclass(frozen=True, slots=True, eq=False)
class _Route:
    handler: Handler
    source: str
    """Whose route it is (the entity's discovery topic), for debug lines."""
    max_bytes: int


class TopicRouter:
    """Subscriptions of all discovered entities on one fabric."""

    def __init__(self, fabric: Fabric, bad_input: BadInputLog) -> None:
        self._fabric = fabric
        self._bad_input = bad_input
        self._routes: dict[str, list[_Route]] = {}
        self._cancels: dict[str, Cancel] = {}
        self._strikes: dict[_Route, int] = {}
        self.messages = 0
        """Messages dispatched so far (for benchmarks)."""
        self.disabled = 0
        """Handlers dropped for going over their template budget."""

    def __len__(self) -> int:
        return len(self._routes)

    def subscribe(self, topic: str, handler: Handler, *, source: str, qos: int = 0,
                  max_bytes: int = MAX_TEXT_BYTES) -> Cancel:
        """Call `handler` with every message on `topic`; returns an idempotent cancel."""
        route = _Route(handler, source, max_bytes)
        routes = self._routes.get(topic)
        if routes is None:
            routes = self._routes[topic] = []
            # bound to this topic's list: dispatch does no lookup per message
            self._cancels[topic] = self._fabric.subscribe(
                topic, lambda message: self._dispatch(topic, routes, message), qos
            )
        elif qos > 0:
            self._fabric.subscribe(topic, _ignore, qos)()  # raise the broker-side QoS only
        routes.append(route)

        return lambda: self._drop(topic, routes, route)

    def _drop(self, topic: str, routes: list[_Route], route: _Route) -> None:
        self._strikes.pop(route, None)
        if route not in routes:
            return
        routes.remove(route)
        if not routes and self._routes.get(topic) is routes:
            del self._routes[topic]
            self._cancels.pop(topic)()

    def _dispatch(self, topic: str, routes: list[_Route], message: Message) -> None:
        self.messages += 1
        payload = Payload(message.topic, message.payload, message.retain)
        size = len(message.payload)
        reported = False
        for route in tuple(routes):
            try:
                if size > route.max_bytes:
                    raise PayloadError(
                        f"{message.topic}: payload of {size} bytes is over the limit of "
                        f"{route.max_bytes} bytes"
                    )
                route.handler(payload)
                if self._strikes:
                    self._strikes.pop(route, None)
            except UndefinedValue as exc:
                broken = payload.json_error
                if broken is not None and not reported:
                    # value_json is missing because the payload is broken JSON
                    reported = True
                    self._bad_input.report(message.topic, str(broken))
                    continue
                # the message does not carry this entity's value (shared state topics)
                _LOGGER.debug("no value for entity source=%s topic=%s: %s",
                              route.source, message.topic, exc)
            except PayloadError as exc:
                if isinstance(exc, BudgetExceeded):
                    self._strike(topic, routes, route, exc)
                if not reported:
                    reported = True
                    self._bad_input.report(message.topic, str(exc))
                else:
                    _LOGGER.debug("bad input again topic=%s source=%s: %s",
                                  message.topic, route.source, exc)


    def _strike(self, topic: str, routes: list[_Route], route: _Route,
                exc: BudgetExceeded) -> None:
        strikes = self._strikes[route] = self._strikes.get(route, 0) + 1
        if strikes >= STRIKES:
            self._drop(topic, routes, route)
            self.disabled += 1
            _LOGGER.warning("template disabled for entity source=%s topic=%s after %d "
                            "renders over budget in a row: %s", route.source, topic,
                            strikes, exc)


def _ignore(_message: Message) -> None:
    return None
