"""The gossip knobs: one frozen dataclass, each derived figure with its formula.

The defaults are hashicorp/memberlist's LAN profile (docs/mesh.md, "Membership"):

- ``suspicion_timeout(n) = suspicion_mult * max(1, log10(n)) * probe_interval``: the least
  time a suspect gets to refute before it is declared dead; Lifeguard starts a suspicion at
  ``suspicion_max_timeout_mult`` times that and shrinks it towards it as independent
  confirmations arrive (`hub.mesh.suspicion`).
- ``retransmit_limit(n) = retransmit_mult * ceil(log10(n + 1))``: how many times a node
  hands one update to a peer before it stops sending it (`hub.mesh.broadcast`).
- ``pushpull_period(n) = pushpull_interval * pushpull_scale(n)``, where the scale is 1 up
  to 32 nodes and ``ceil(log2(n) - log2(32)) + 1`` above: full-state exchanges stay at
  a constant total load as the mesh grows.
- probe interval and timeout are multiplied by ``awareness + 1`` (`hub.mesh.awareness`):
  a node that is itself slow probes less eagerly and waits longer before it accuses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class GossipConfig:
    probe_interval: float = 1.0
    """Seconds between two probes of one random member."""
    probe_timeout: float = 0.5
    """Seconds to wait for a direct ack before asking `indirect_checks` others."""
    indirect_checks: int = 3
    gossip_interval: float = 0.2
    """Seconds between two rounds of piggybacked dissemination."""
    gossip_nodes: int = 3
    """Peers each gossip round sends to."""
    retransmit_mult: int = 4
    suspicion_mult: int = 4
    suspicion_max_timeout_mult: int = 6
    awareness_max_multiplier: int = 8
    pushpull_interval: float = 30.0
    """Seconds between full-state exchanges with one random member (0: never)."""
    exchange_timeout: float = 10.0
    gossip_to_the_dead_time: float = 30.0
    """Seconds a dead member still receives gossip (so that it can learn and refute)."""
    tombstone_time: float = 300.0
    """Seconds a dead or left member is remembered, so that an old alive is ignored."""
    packet_budget: int = 1400
    """Bytes of piggybacked updates per packet (a UDP datagram's worth, as memberlist)."""

    @classmethod
    def lan(cls) -> GossipConfig:
        return cls()

    @classmethod
    def wan(cls) -> GossipConfig:
        """Sites across the internet: slower probes, longer suspicion (memberlist's WAN)."""
        return replace(
            cls(),
            probe_interval=5.0,
            probe_timeout=3.0,
            suspicion_mult=6,
            gossip_interval=0.5,
            gossip_nodes=4,
            pushpull_interval=60.0,
            exchange_timeout=30.0,
            gossip_to_the_dead_time=60.0,
        )

    @classmethod
    def local(cls) -> GossipConfig:
        """One machine or one loopback network: fast (memberlist's Local)."""
        return replace(
            cls(),
            probe_interval=0.2,
            probe_timeout=0.1,
            suspicion_mult=3,
            gossip_interval=0.1,
            pushpull_interval=15.0,
            exchange_timeout=2.0,
            gossip_to_the_dead_time=15.0,
            tombstone_time=60.0,
        )

    def suspicion_timeout(self, n: int) -> float:
        return self.suspicion_mult * max(1.0, math.log10(max(1, n))) * self.probe_interval

    def retransmit_limit(self, n: int) -> int:
        return self.retransmit_mult * math.ceil(math.log10(n + 1))

    def pushpull_scale(self, n: int) -> int:
        if n <= 32:
            return 1
        return math.ceil(math.log2(n) - math.log2(32)) + 1

    def pushpull_period(self, n: int) -> float:
        return self.pushpull_interval * self.pushpull_scale(n)
