"""What trusting peers costs per message: signing an envelope, and checking one from a peer.

Per message, best of `--repeat` timings of `--number` messages each (timeit), on one core,
for a tool-call request of ~120 bytes of JSON body:

1. seal: sign a request envelope, without a node token (a hub in no mesh) and with one
   (every envelope of a mesh hub carries its token, ~430 bytes).
2. unseal: verify it as the RPC server does, with the replay guard, the recipient check
   and the keyring: a local envelope (no token), a peer's envelope whose token the
   keyring has seen (the steady state: a dictionary lookup), and the same with the scope
   and revocation checks (`PeerGuard.admit`) that run before the tool.
3. first contact: a peer's envelope with a token the keyring has not seen (the PASETO
   signature of the token is verified too), and verifying a node token on its own.
4. issue: the root signing a node token.

    python -m bench.mesh_tokens [--number 5000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import itertools
import json
import timeit
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import nacl.signing

from bench.report import report
from hub.clock import SystemClock
from hub.fabric import Envelope, ReplayGuard, seal, unseal
from hub.identity import Identity
from hub.mesh.paseto import b64encode
from hub.mesh.peers import Keyring, PeerGuard
from hub.mesh.revocations import Revocations
from hub.mesh.tokens import RootKey, read_node_token

BODY = json.dumps({"capability": "light.kitchen", "tool": "turn_on",
                   "arguments": {"brightness_pct": 30, "color_name": "warm white"}}).encode()


def main(args: argparse.Namespace) -> None:
    clock = SystemClock()
    root = RootKey(nacl.signing.SigningKey.generate())
    server, peer = Identity.generate(), Identity.generate()
    now = datetime.now(UTC)
    token = root.issue(peer.public_key, ["light.*", "camera.get_frame"], now=now,
                       lifetime=timedelta(days=90))
    revocations = Revocations(root.public_key, clock)
    keyring = Keyring(root.public_key, clock, revocations)
    guard = PeerGuard(server.node_id, keyring, lambda capability: "light")
    keys = {server.node_id: server.public_key}

    def lookup(node: Any) -> bytes | None:
        return keys.get(node) or keyring.public_key(node)

    ids = (f"{n:024x}" for n in itertools.count())

    def envelope(sender: Identity, credential: str = "") -> Envelope:
        return Envelope(sender.node_id, "request", BODY, time=clock.now().timestamp(),
                        message_id=next(ids), reply_to="atmosphere/v1/nodes/x/reply/s",
                        correlation_id="c", recipient=server.node_id, credential=credential)

    # messages made in advance: each unseal sees a fresh id, as it would on the wire
    total = args.number * args.repeat + 10
    local = [seal(envelope(server), server.signing_key) for _ in range(total)]
    remote = [seal(envelope(peer, token), peer.signing_key) for _ in range(total)]
    replay = ReplayGuard(max_skew=60.0, capacity=10 * total)
    local_iter, remote_iter, admitted_iter = iter(local), iter(remote), iter(remote[:])

    def unseal_local() -> None:
        unseal(next(local_iter), lookup, now=clock.now().timestamp(), replay=replay,
               recipient=server.node_id, learn=guard.learn)

    replay_remote = ReplayGuard(max_skew=60.0, capacity=10 * total)
    replay_admit = ReplayGuard(max_skew=60.0, capacity=10 * total)

    def unseal_peer() -> None:
        unseal(next(remote_iter), lookup, now=clock.now().timestamp(), replay=replay_remote,
               recipient=server.node_id, learn=guard.learn)

    def unseal_and_admit() -> None:
        env = unseal(next(admitted_iter), lookup, now=clock.now().timestamp(),
                     replay=replay_admit, recipient=server.node_id, learn=guard.learn)
        guard.admit(env, "light.kitchen", "turn_on")

    def first_contact() -> None:
        # a keyring that has seen nothing: the token's own signature is checked too
        fresh = Keyring(root.public_key, clock, revocations)
        fresh.learn(peer.node_id, token)
        Identity.verify(peer.public_key, b"x" * 200, peer.sign(b"x" * 200))

    cases: list[tuple[str, Callable[[], Any]]] = [
        ("seal: request, no node token", lambda: seal(envelope(server), server.signing_key)),
        ("seal: request with node token", lambda: seal(envelope(peer, token), peer.signing_key)),
        ("unseal: local request", unseal_local),
        ("unseal: peer request, token known", unseal_peer),
        ("unseal + admit (scope, revocation)", unseal_and_admit),
        ("verify a node token (first contact)",
         lambda: read_node_token(token, root.public_key)),
        ("first contact: learn token + 1 signature", first_contact),
        ("issue a node token", lambda: root.issue(peer.public_key, ["light.*"], now=now,
                                                  lifetime=timedelta(days=90))),
    ]
    rows, figures = [], {}
    for name, fn in cases:
        best = min(timeit.repeat(fn, number=args.number, repeat=args.repeat)) / args.number
        figures[name] = round(best * 1e6, 2)
        rows.append([name, f"{best * 1e6:.1f}", f"{1 / best:,.0f}"])
    sizes = {
        "envelope_bytes_without_token": len(local[0]),
        "envelope_bytes_with_token": len(remote[0]),
        "node_token_bytes": len(token),
        "public_key_b64_chars": len(b64encode(peer.public_key)),
    }
    report("mesh_tokens", {"number": args.number, "repeat": args.repeat,
                           "body_bytes": len(BODY)},
           {"us_per_message": figures, **sizes},
           ["case", "us per message", "per second"], rows)
    print(", ".join(f"{k}={v}" for k, v in sizes.items()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    main(parser.parse_args())
