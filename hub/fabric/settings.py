"""`FabricSettings`: where the broker is and how to stay connected to it.

Its own module because both the fabric (`hub.fabric.connection`) and the connector that
opens its sessions (`hub.fabric.connect`) read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, slots=True)
class FabricSettings:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in logs or tracebacks
    client_id: str = ""
    """Empty: a random ``atmosphere-<hex>`` id per fabric."""
    keepalive: int = 30
    protocol: Literal["5", "3.1.1"] = "5"
    """MQTT 5 falls back to 3.1.1 when the broker refuses it."""
    connect_timeout: float = 5.0
    backoff_initial: float = 0.1
    backoff_max: float = 30.0
    max_backlog: int = 10_000
    """QoS 1 messages held while the broker is away (and queued in flight)."""
    max_inflight: int = 100
    session_expiry: int = 0
    """Seconds the broker keeps our session (subscriptions, queued QoS 1) while we are
    away; 0 asks for a clean session. Needs a fixed `client_id` to be useful."""

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"
