"""The broker's last will as evidence: a node's status topic says how it went away.

Every hub keeps a retained status on ``atmosphere/v1/nodes/<id>/status``: ``online``
(its birth), ``offline`` (its last will, published by the broker when the connection
drops without a goodbye: a crash, a kill, a cut link) or ``left`` (published by the hub
itself on a clean stop). ``offline`` makes the member dead at once, without waiting for
probes and a suspicion (if it is in fact alive, it refutes); ``left`` makes it left.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Self

from hub.clock import Cancel, Clock
from hub.errors import PayloadError
from hub.fabric import Fabric, Message
from hub.inputs import load_json
from hub.logthrottle import LogThrottle
from hub.mesh.membership import Membership
from hub.model import NodeId

_LOGGER = logging.getLogger(__name__)

STATUS_FILTER = "atmosphere/v1/nodes/+/status"


class StatusWatch:
    def __init__(self, fabric: Fabric, membership: Membership, clock: Clock) -> None:
        self._fabric = fabric
        self._membership = membership
        self._throttle = LogThrottle(clock)
        self._cancel: Cancel | None = None
        self.bad = 0

    async def __aenter__(self) -> Self:
        self._cancel = self._fabric.subscribe(STATUS_FILTER, self._on_status, qos=1)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._cancel is not None:
            self._cancel()

    def _on_status(self, message: Message) -> None:
        node = NodeId(message.topic.split("/")[3])
        try:
            status = load_json(message.payload, subject=message.topic, max_depth=2)
        except PayloadError as exc:
            self._refuse(message.topic, str(exc))
            return
        state = status.get("state") if isinstance(status, dict) else None
        if state == "offline":
            _LOGGER.info("last will received peer=%s", node)
            self._membership.offline(node)
        elif state == "left":
            self._membership.departed(node)
        elif state != "online":
            self._refuse(message.topic, f"unknown state {state!r}")

    def _refuse(self, topic: str, why: str) -> None:
        self.bad += 1
        if self._throttle.allow(topic):
            _LOGGER.warning("node status dropped topic=%s: %s", topic, why)
