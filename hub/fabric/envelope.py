"""The signed envelope: every message between hubs, verifiable offline.

Layout (all of it is one MQTT payload)::

    offset  size  what
    0       1     version, 1
    1       2     header length H, big-endian
    3       H     header: compact UTF-8 JSON (keys below)
    3+H     B     body: raw bytes (a JPEG travels as is, no base64)
    end-64  64    Ed25519 signature over every byte before it

Header keys: ``from`` sender node id, ``ts`` wall time (Unix seconds), ``id`` message id,
``kind`` (``request``, ``result``, ``error``, ...), and when set ``reply`` (reply-to
topic), ``corr`` (correlation id), ``type`` (body content type, default
``application/json``), ``dl`` (deadline, Unix seconds), ``to`` (the recipient's node id:
an envelope replayed to another node is refused there) and ``tok`` (the sender's node
token, `hub.mesh.tokens`, from which a peer learns its key).

A receiver refuses what it cannot parse (`PayloadError`) and what it cannot trust
(`TokenError`, with its `reason`): an unknown sender (``unknown_sender``), a bad signature
(``bad_signature``), a time outside the allowed skew (``clock_skew``), another recipient
(``misaddressed``), a message id it has already seen (``replayed``). The last three are
raised as `Refusal`, which carries the (authentic) envelope, so that the receiver can
answer its sender.
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Protocol

import nacl.exceptions
import nacl.signing

from hub.errors import PayloadError, TokenError
from hub.inputs import load_json
from hub.model import NodeId

VERSION = 1
SIGNATURE_SIZE = 64
_PREFIX = struct.Struct("!BH")
_MIN_SIZE = _PREFIX.size + SIGNATURE_SIZE
JSON_TYPE = "application/json"
_HEADER_DEPTH = 4
"""The header is one flat object; a little room for fields of later versions."""

PublicKeyLookup = Callable[[NodeId], bytes | None]
Learn = Callable[[NodeId, str], None]
"""Called with (sender, node token) before an envelope carrying a token is verified: the
keyring learns the sender's key from it, or raises TokenError (forged, another mesh)."""


@dataclass(frozen=True, slots=True)
class Envelope:
    sender: NodeId
    kind: str
    body: bytes = b""
    content_type: str = JSON_TYPE
    time: float = 0.0
    """Wall-clock Unix seconds when it was made."""
    message_id: str = ""
    reply_to: str = ""
    correlation_id: str = ""
    deadline: float | None = None
    """Unix seconds after which the receiver drops it; None for none."""
    recipient: str = ""
    """The node it is for; empty in envelopes of hubs before the mesh (local only)."""
    credential: str = ""
    """The sender's node token, or empty."""

    @classmethod
    def create(
        cls,
        sender: NodeId,
        kind: str,
        body: bytes = b"",
        *,
        time: float,
        content_type: str = JSON_TYPE,
        reply_to: str = "",
        correlation_id: str = "",
        deadline: float | None = None,
        recipient: str = "",
        credential: str = "",
    ) -> Envelope:
        """A new envelope with a fresh random message id."""
        return cls(
            sender=sender,
            kind=kind,
            body=body,
            content_type=content_type,
            time=time,
            message_id=os.urandom(12).hex(),
            reply_to=reply_to,
            correlation_id=correlation_id,
            deadline=deadline,
            recipient=recipient,
            credential=credential,
        )


class Refusal(TokenError):
    """An authentic envelope refused (skew, another recipient, a replay, or a check above
    the fabric: expired or revoked node token, out of scope): `envelope` is the verified
    envelope, so that the receiver may answer its sender."""

    def __init__(self, message: str, reason: str, envelope: Envelope) -> None:
        super().__init__(message, reason)
        self.envelope = envelope


class ReplayJournalSink(Protocol):
    """Where a `ReplayGuard` writes the ids it accepts (`hub.fabric.journal`)."""

    def record(self, message_id: str, until: float, now: float) -> None: ...


class ReplayGuard:
    """Remembers recent message ids, so that a captured envelope cannot be sent again.

    An envelope is only accepted within `max_skew` seconds of the receiver's clock, so an
    id needs remembering for that long after its time, and no longer. Memory is bounded
    by `capacity`: past it the oldest ids are forgotten early (counted in `evicted`), which
    under a flood of valid envelopes reopens a small replay window rather than growing
    without bound. Refused replays are counted in `refused`.

    With a `journal`, every accepted id is also written there before `first_sight`
    returns, and `restore` loads what a previous run accepted: a replay after a restart
    is refused too.
    """

    __slots__ = ("_expiry", "_order", "capacity", "evicted", "journal", "max_skew", "refused")

    def __init__(
        self,
        max_skew: float = 60.0,
        capacity: int = 100_000,
        *,
        journal: ReplayJournalSink | None = None,
    ) -> None:
        self.max_skew = max_skew
        self.capacity = capacity
        self.journal = journal
        self.evicted = 0
        self.refused = 0
        self._expiry: dict[str, float] = {}
        self._order: deque[tuple[float, str]] = deque()

    def __len__(self) -> int:
        return len(self._expiry)

    def first_sight(self, message_id: str, time: float, now: float) -> bool:
        """Record `message_id`; False when it was already seen (a replay)."""
        order, expiry = self._order, self._expiry
        while order and order[0][0] < now:
            _, old = order.popleft()
            if expiry.get(old, now + 1) < now:
                del expiry[old]
        if message_id in expiry:
            self.refused += 1
            return False
        until = time + self.max_skew
        self._remember(message_id, until)
        if self.journal is not None:
            self.journal.record(message_id, until, now)
        return True

    def restore(self, entries: Iterable[tuple[str, float]], now: float) -> None:
        """Remember ``(message_id, until)`` pairs a previous run accepted (expired ones
        are left out), oldest first."""
        for message_id, until in sorted(entries, key=lambda entry: entry[1]):
            if until >= now and message_id not in self._expiry:
                self._remember(message_id, until)

    def _remember(self, message_id: str, until: float) -> None:
        order, expiry = self._order, self._expiry
        while len(expiry) >= self.capacity and order:
            _, old = order.popleft()
            if expiry.pop(old, None) is not None:
                self.evicted += 1
        expiry[message_id] = until
        order.append((until, message_id))


def seal(envelope: Envelope, signing_key: nacl.signing.SigningKey) -> bytes:
    """Serialise and sign `envelope`."""
    header: dict[str, Any] = {
        "from": envelope.sender,
        "ts": envelope.time,
        "id": envelope.message_id,
        "kind": envelope.kind,
    }
    if envelope.reply_to:
        header["reply"] = envelope.reply_to
    if envelope.correlation_id:
        header["corr"] = envelope.correlation_id
    if envelope.content_type != JSON_TYPE:
        header["type"] = envelope.content_type
    if envelope.deadline is not None:
        header["dl"] = envelope.deadline
    if envelope.recipient:
        header["to"] = envelope.recipient
    if envelope.credential:
        header["tok"] = envelope.credential
    head = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    if len(head) > 0xFFFF:
        raise PayloadError(f"envelope header is {len(head)} bytes; at most 65535 fit")
    unsigned = b"".join((_PREFIX.pack(VERSION, len(head)), head, envelope.body))
    return unsigned + signing_key.sign(unsigned).signature


def unseal(
    data: bytes,
    lookup: PublicKeyLookup,
    *,
    now: float,
    replay: ReplayGuard,
    recipient: str = "",
    learn: Learn | None = None,
    check_skew: bool = True,
) -> Envelope:
    """Parse and verify an envelope; `now` is the receiver's wall time (Unix seconds).

    `recipient`: this node's id; an envelope addressed to another node is refused (one
    that names no recipient is left to the caller to judge). `learn` is given the sender's
    node token, when the envelope carries one, before its key is looked up.
    `check_skew=False` leaves the time unchecked (a reply, whose freshness is its
    correlation id): the caller compares it."""
    size = len(data)
    if size < _MIN_SIZE:
        raise PayloadError(
            f"envelope of {size} bytes is too short: at least {_MIN_SIZE} "
            "(version, header length, signature)"
        )
    version, head_len = _PREFIX.unpack_from(data)
    if version != VERSION:
        raise PayloadError(
            f"envelope version {version} is not supported (this hub reads {VERSION})"
        )
    body_start = _PREFIX.size + head_len
    body_end = size - SIGNATURE_SIZE
    if body_start > body_end:
        raise PayloadError(
            f"envelope header length {head_len} runs past the end of a {size}-byte envelope"
        )
    envelope = _parse_header(data[_PREFIX.size : body_start])
    sender = envelope.sender
    if envelope.credential and learn is not None:
        learn(sender, envelope.credential)
    public_key = lookup(sender)
    if public_key is None:
        raise TokenError(
            f"envelope from unknown node {sender}: no public key for it (no valid node "
            "token seen)",
            "unknown_sender",
        )
    try:
        nacl.signing.VerifyKey(public_key).verify(data[:body_end], data[body_end:])
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, TypeError) as exc:
        raise TokenError(
            f"envelope from {sender}: bad signature (forged, altered, or signed "
            "with another key)",
            "bad_signature",
        ) from exc
    envelope = replace(envelope, body=data[body_start:body_end])
    skew = envelope.time - now
    if check_skew and abs(skew) > replay.max_skew:
        raise Refusal(
            f"envelope from {sender}: its time is {skew:+.1f} s off ours, beyond the "
            f"allowed {replay.max_skew:g} s (check both clocks)",
            "clock_skew",
            envelope,
        )
    if recipient and envelope.recipient and envelope.recipient != recipient:
        raise Refusal(
            f"envelope from {sender}: addressed to node {envelope.recipient}, not to this "
            f"node {recipient} (replayed to the wrong node?)",
            "misaddressed",
            envelope,
        )
    if not replay.first_sight(envelope.message_id, envelope.time, now):
        raise Refusal(
            f"envelope from {sender}: message {envelope.message_id} was already "
            "received (replayed)",
            "replayed",
            envelope,
        )
    return envelope


def _parse_header(head: bytes) -> Envelope:
    # a flat object: deep nesting, lone surrogates and the like are refused by the loader
    # before they can reach the recursive parser or a reply topic
    header = load_json(head, subject="envelope header", max_depth=_HEADER_DEPTH)
    if not isinstance(header, dict):
        raise PayloadError(f"envelope header must be a JSON object, got {type(header).__name__}")
    deadline = header.get("dl")
    if deadline is not None:
        deadline = _number(header, "dl")
    return Envelope(
        sender=NodeId(_text(header, "from", required=True)),
        kind=_text(header, "kind", required=True),
        time=_number(header, "ts"),
        message_id=_text(header, "id", required=True),
        reply_to=_text(header, "reply"),
        correlation_id=_text(header, "corr"),
        content_type=_text(header, "type") or JSON_TYPE,
        deadline=deadline,
        recipient=_text(header, "to"),
        credential=_text(header, "tok"),
    )


def _text(header: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = header.get(key, "")
    if not isinstance(value, str):
        raise PayloadError(f"envelope header: {key!r} must be a string, got {value!r}")
    if required and not value:
        raise PayloadError(f"envelope header: {key!r} is missing")
    return value


def _number(header: dict[str, Any], key: str) -> float:
    value = header.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(f"envelope header: {key!r} must be a number, got {value!r}")
    if not math.isfinite(value):  # json reads NaN and Infinity; no time is either
        raise PayloadError(f"envelope header: {key!r} must be a finite number, got {value!r}")
    return float(value)
