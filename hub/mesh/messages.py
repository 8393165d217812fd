"""The wire format of gossip: one packet is a JSON array of short messages.

    ["ping", seq, target, source]          probe; answered by ack
    ["ireq", seq, target, source]          ask a member to probe `target` for `source`
    ["ack", seq]                            the probed node answers
    ["nack", seq]                           an indirect prober heard nothing (Lifeguard)
    ["alive", node, incarnation, meta]
    ["suspect", node, incarnation, accuser]
    ["dead", node, incarnation, accuser]    accuser == node means it left
    ["user", data]                          a delegate's broadcast (text)

Updates (alive, suspect, dead, user) ride piggybacked on pings, acks and gossip rounds.
JSON keeps the format readable in `mosquitto_sub`; the packet budget bounds its size.
A malformed packet raises `PayloadError` naming what is wrong.
"""

from __future__ import annotations

import json
from typing import Any

from hub.errors import PayloadError

Message = list[Any]

_SHAPES: dict[str, tuple[type, ...]] = {
    "ping": (int, str, str),
    "ireq": (int, str, str),
    "ack": (int,),
    "nack": (int,),
    "alive": (str, int, str),
    "suspect": (str, int, str),
    "dead": (str, int, str),
    "user": (str,),
    "pp": (list, str),
}


def encode(messages: list[Message]) -> bytes:
    return json.dumps(messages, separators=(",", ":")).encode()


def encode_one(message: Message) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode()


def decode(packet: bytes) -> list[Message]:
    try:
        raw = json.loads(packet)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"gossip packet is not JSON: {exc}") from exc
    if not isinstance(raw, list):
        raise PayloadError(f"gossip packet must be a list of messages, got {type(raw).__name__}")
    for index, message in enumerate(raw):
        check(message, f"message {index}")
    return raw


def check(message: Any, where: str) -> None:
    if not isinstance(message, list) or not message or not isinstance(message[0], str):
        raise PayloadError(f"gossip {where}: expected [kind, ...], got {message!r:.60}")
    kind = message[0]
    shape = _SHAPES.get(kind)
    if shape is None:
        raise PayloadError(f"gossip {where}: unknown kind {kind!r}")
    fields = message[1:]
    if len(fields) != len(shape) or not all(
        isinstance(value, want) and not (want is int and isinstance(value, bool))
        for value, want in zip(fields, shape, strict=True)
    ):
        names = ", ".join(t.__name__ for t in shape)
        raise PayloadError(f"gossip {where}: {kind} takes ({names}), got {fields!r:.80}")
