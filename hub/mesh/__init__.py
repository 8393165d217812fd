"""The mesh: hubs at different sites federated as one, without a central server.

Membership and failure detection (SWIM with Lifeguard), one mechanism per module:
`config` (the knobs and their formulas), `state` (members, incarnations, statuses),
`messages` (the wire), `broadcast` (the transmit-limited queue), `awareness` (local
health), `suspicion` (Lifeguard's shrinking timer), `probe` (direct and indirect probes),
`pushpull` (anti-entropy), `delegate` (the application's hooks), `membership` (the rules
and the loops), `transport` (the protocol), `sim` (the simulated network),
`mqtt_transport` (over the fabric), `status` (the broker's last will as evidence) and
`gossip` (all of it for a running hub: `Hub.gossip`).

Trust, for the mesh's requests: `paseto` (v4.public on PyNaCl), `tokens` (the mesh root
key and node tokens), `revocations` (the root's signed list), `peers` (the keyring and
`PeerGuard`: recipient, expiry, revocation and scope checks), `trust` (this hub's root
public key, node token, keyring and revocations: `Hub.trust`), `command` (`atmosphere
mesh`).
"""

from hub.mesh.config import GossipConfig
from hub.mesh.delegate import Delegate
from hub.mesh.membership import Membership
from hub.mesh.sim import SimNetwork, SimTransport
from hub.mesh.state import Member, Status
from hub.mesh.transport import Received, Transport

__all__ = [
    "Delegate",
    "GossipConfig",
    "Member",
    "Membership",
    "Received",
    "SimNetwork",
    "SimTransport",
    "Status",
    "Transport",
]
