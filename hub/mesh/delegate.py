"""The application's hooks into gossip (memberlist's Delegate), for replicated state.

Every hook runs on the event loop inside the protocol's own handling and **must not
block**: no I/O, no awaiting, no heavy work (hand it to a task). Limits:

- `local_state()` is sent whole on every push-pull (every `pushpull_period(n)` seconds to
  one peer, and on join): keep it under 64 KiB of text; a CRDT's compact state fits.
- `merge_remote_state(sender, state)` receives a peer's `local_state()`: merge, never trust
  it as whole truth (it may be old); bad input is the delegate's to count and drop.
- `notify(sender, data)` receives a `Membership.broadcast(key, data)` made on another node,
  piggybacked on gossip (each broadcast is at most `packet_budget` bytes with its framing).
  Delivery is best effort and may repeat: relay it again with `broadcast` to spread it
  epidemically, keyed so that a newer value replaces an older one in the queue.
"""

from __future__ import annotations

from typing import Protocol

from hub.model import NodeId


class Delegate(Protocol):
    def local_state(self) -> str: ...

    def merge_remote_state(self, sender: NodeId, state: str) -> None: ...

    def notify(self, sender: NodeId, data: str) -> None: ...


class NoDelegate:
    def local_state(self) -> str:
        return ""

    def merge_remote_state(self, sender: NodeId, state: str) -> None:
        return None

    def notify(self, sender: NodeId, data: str) -> None:
        return None
