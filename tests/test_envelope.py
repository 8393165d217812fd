"""The signed envelope: round trip, tampering, replay, malformed input."""

from __future__ import annotations

import json
import math
import os
import re
import struct

import nacl.signing
import pytest

from hub.errors import PayloadError, TokenError
from hub.fabric import Envelope, ReplayGuard, seal, unseal
from hub.model import NodeId

NOW = 1_780_000_000.0
ALICE = NodeId("node-alice")
KEY = nacl.signing.SigningKey(bytes(range(32)))
OTHER_KEY = nacl.signing.SigningKey(bytes(range(1, 33)))


def lookup(node: NodeId) -> bytes | None:
    return bytes(KEY.verify_key) if node == ALICE else None


def sealed(body: bytes = b"{}", **kwargs: object) -> tuple[Envelope, bytes]:
    fields: dict[str, object] = {"time": NOW, **kwargs}
    envelope = Envelope.create(ALICE, "request", body, **fields)  # type: ignore[arg-type]
    return envelope, seal(envelope, KEY)


def open_(data: bytes, now: float = NOW, guard: ReplayGuard | None = None) -> Envelope:
    return unseal(data, lookup, now=now, replay=guard if guard is not None else ReplayGuard())


def test_round_trip_keeps_every_field_and_binary_body() -> None:
    jpeg = b"\xff\xd8\xff\xe0" + os.urandom(50_000) + b"\xff\xd9"
    envelope, data = sealed(
        jpeg,
        content_type="image/jpeg",
        reply_to="atmosphere/v1/nodes/node-bob/reply/s1",
        correlation_id="c-42",
        deadline=NOW + 5,
    )
    assert open_(data) == envelope
    # raw bytes, no base64: the overhead is the prefix, the header and the signature only
    header_length = struct.unpack("!H", data[1:3])[0]
    assert header_length < 200
    assert len(data) == 3 + header_length + len(jpeg) + 64
    assert data[3 + header_length : -64] == jpeg


def test_minimal_envelope_round_trips() -> None:
    envelope, data = sealed(b"")
    opened = open_(data)
    assert opened == envelope
    assert (opened.reply_to, opened.correlation_id, opened.deadline) == ("", "", None)
    assert opened.content_type == "application/json"


def test_message_ids_are_unique() -> None:
    assert len({sealed()[0].message_id for _ in range(1000)}) == 1000


@pytest.mark.parametrize("where", [0, 3, 20, -70, -1])
def test_any_tampered_byte_is_refused(where: int) -> None:
    _, data = sealed(b'{"tool":"unlock"}')
    tampered = bytearray(data)
    tampered[where] ^= 0x01
    with pytest.raises((TokenError, PayloadError)):
        open_(bytes(tampered))


def test_tampered_body_is_a_bad_signature() -> None:
    _, data = sealed(b'{"tool":"turn_on"}')
    tampered = data.replace(b"turn_on", b"turn_of")
    with pytest.raises(TokenError, match="envelope from node-alice: bad signature"):
        open_(tampered)


def test_signed_by_another_key_is_refused() -> None:
    envelope, _ = sealed()
    forged = seal(envelope, OTHER_KEY)
    with pytest.raises(TokenError, match="bad signature .*signed with another key"):
        open_(forged)


def test_unknown_sender_is_refused() -> None:
    envelope = Envelope.create(NodeId("node-mallory"), "request", b"{}", time=NOW)
    with pytest.raises(TokenError, match="unknown node node-mallory: no public key"):
        open_(seal(envelope, KEY))


def test_replay_is_refused() -> None:
    guard = ReplayGuard()
    _, data = sealed()
    open_(data, guard=guard)
    with pytest.raises(TokenError, match=r"message [0-9a-f]{24} was already received \(replayed\)"):
        open_(data, now=NOW + 1, guard=guard)


@pytest.mark.parametrize("offset", [-61.0, 61.0])
def test_time_outside_the_skew_is_refused(offset: float) -> None:
    _, data = sealed()
    with pytest.raises(
        TokenError,
        match=re.escape(f"its time is {-offset:+.1f} s off ours, beyond the allowed 60 s"),
    ):
        open_(data, now=NOW + offset)


def test_time_within_the_skew_is_accepted() -> None:
    _, data = sealed()
    assert open_(data, now=NOW + 59).sender == ALICE


@pytest.mark.parametrize("cut", [1, 10, 64, 100])
def test_truncated_is_a_payload_or_token_error(cut: int) -> None:
    _, data = sealed(b"x" * 20)
    with pytest.raises((PayloadError, TokenError)):
        open_(data[:-cut])


def test_too_short_says_what_is_missing() -> None:
    with pytest.raises(PayloadError, match="envelope of 40 bytes is too short: at least 67"):
        open_(b"\x01" + b"\x00" * 39)


def test_header_running_past_the_end_is_a_payload_error() -> None:
    _, data = sealed(b"")
    with pytest.raises(PayloadError, match="header length .* runs past the end"):
        open_(data[:-64][:20] + data[-64:])


def test_unknown_version_is_a_payload_error() -> None:
    _, data = sealed()
    with pytest.raises(PayloadError, match="envelope version 2 is not supported"):
        open_(b"\x02" + data[1:])


def _with_header(header: object) -> bytes:
    head = json.dumps(header).encode()
    unsigned = struct.pack("!BH", 1, len(head)) + head
    return unsigned + KEY.sign(unsigned).signature


@pytest.mark.parametrize(
    ("header", "error"),
    [
        ([1, 2], "must be a JSON object, got list"),
        ({"ts": NOW, "id": "x", "kind": "request"}, "'from' is missing"),
        ({"from": ALICE, "ts": "now", "id": "x", "kind": "request"}, "'ts' must be a number"),
        ({"from": ALICE, "ts": NOW, "id": 7, "kind": "request"}, "'id' must be a string"),
        ({"from": ALICE, "ts": NOW, "id": "x", "kind": "r", "dl": True}, "'dl' must be a number"),
    ],
)
def test_bad_headers_say_which_field(header: object, error: str) -> None:
    with pytest.raises(PayloadError, match=error):
        open_(_with_header(header))


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("key", ["ts", "dl"])
def test_a_time_that_is_not_finite_is_refused(key: str, value: float) -> None:
    # json reads NaN and Infinity; a NaN time compared false against the skew and got in,
    # and its replay-guard entry never expired
    header = {"from": ALICE, "ts": NOW, "id": "x", "kind": "request", key: value}
    # refused by the loader, which reads no number JSON cannot hold
    with pytest.raises(PayloadError, match=rf"{key}: -?(NaN|Infinity) is not a finite number"):
        open_(_with_header(header))


def test_header_that_is_not_json() -> None:
    unsigned = struct.pack("!BH", 1, 3) + b"{x}"
    with pytest.raises(PayloadError, match="envelope header is not JSON: Expecting"):
        open_(unsigned + KEY.sign(unsigned).signature)


def test_replay_guard_forgets_after_the_skew_and_stays_bounded() -> None:
    guard = ReplayGuard(max_skew=10, capacity=3)
    assert guard.first_sight("a", NOW, NOW)
    assert not guard.first_sight("a", NOW, NOW + 5)
    assert guard.first_sight("b", NOW + 1, NOW + 1)
    assert len(guard) == 2
    # past a's time + skew it is forgotten (and would be refused as too old anyway)
    assert guard.first_sight("c", NOW + 10.5, NOW + 10.5)
    assert len(guard) == 2
    for name in ("d", "e", "f"):
        assert guard.first_sight(name, NOW + 11, NOW + 11)
    assert len(guard) == 3
    assert guard.evicted == 2
