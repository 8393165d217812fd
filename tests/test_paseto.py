"""PASETO v4.public against the official test vectors (tests/data/paseto/, ISC licence)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nacl.signing
import pytest

from hub.errors import TokenError
from hub.mesh import paseto

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "paseto" / "v4.json").read_text()
)["tests"]
PUBLIC = [v for v in VECTORS if v["name"].startswith("4-S-")]
FAILING = [v for v in VECTORS if v["expect-fail"]]
LOCAL = [v for v in VECTORS if v["name"].startswith("4-E-")]


def test_the_file_holds_what_we_expect() -> None:
    assert len(PUBLIC) == 3 and len(FAILING) == 5 and len(LOCAL) == 9
    assert all(not v["expect-fail"] for v in PUBLIC + LOCAL)


@pytest.mark.parametrize("vector", PUBLIC, ids=lambda v: v["name"])
def test_public_vector_signs_to_the_same_token(vector: dict[str, Any]) -> None:
    key = nacl.signing.SigningKey(bytes.fromhex(vector["secret-key-seed"]))
    assert bytes(key) + bytes(key.verify_key) == bytes.fromhex(vector["secret-key"])
    token = paseto.sign(
        vector["payload"].encode(),
        key,
        footer=vector["footer"].encode(),
        implicit=vector["implicit-assertion"].encode(),
    )
    assert token == vector["token"]


@pytest.mark.parametrize("vector", PUBLIC, ids=lambda v: v["name"])
def test_public_vector_verifies(vector: dict[str, Any]) -> None:
    message = paseto.verify(
        vector["token"],
        bytes.fromhex(vector["public-key"]),
        footer=vector["footer"].encode(),
        implicit=vector["implicit-assertion"].encode(),
    )
    assert message == vector["payload"].encode()
    assert paseto.footer_of(vector["token"]) == vector["footer"].encode()


@pytest.mark.parametrize("vector", FAILING + LOCAL, ids=lambda v: v["name"])
def test_expected_failures_and_local_tokens_are_refused(vector: dict[str, Any]) -> None:
    # A failing vector names a public key when the token is of another purpose, and a
    # symmetric key when the key is of the wrong kind; either way nothing verifies.
    key = bytes.fromhex(vector.get("public-key") or vector["key"])
    with pytest.raises(TokenError) as caught:
        paseto.verify(
            vector["token"],
            key,
            footer=(vector["footer"] or "").encode(),
            implicit=(vector["implicit-assertion"] or "").encode(),
        )
    assert "malformed token" in str(caught.value) or "bad token signature" in str(caught.value)


def test_a_local_token_is_refused_as_the_wrong_purpose() -> None:
    with pytest.raises(TokenError, match=r"expected a 'v4.public.' token, got 'v4.local.'"):
        paseto.verify(LOCAL[0]["token"], bytes(32))


def test_4_F_2_is_refused_for_its_signature() -> None:
    # a v4.public token checked with a key that did not sign it
    vector = next(v for v in FAILING if v["name"] == "4-F-2")
    with pytest.raises(TokenError, match="bad token signature"):
        paseto.verify(vector["token"], bytes.fromhex(vector["key"]))


def test_every_byte_is_covered_by_the_signature() -> None:
    vector = PUBLIC[2]
    key = bytes.fromhex(vector["public-key"])
    footer, implicit = vector["footer"].encode(), vector["implicit-assertion"].encode()
    with pytest.raises(TokenError, match="bad token signature"):
        paseto.verify(vector["token"], key, footer=footer, implicit=b'{"test-vector":"4-S-2"}')
    with pytest.raises(TokenError, match="footer does not match"):
        paseto.verify(vector["token"], key, footer=b"{}", implicit=implicit)
    body, foot = vector["token"].split(".")[2:]
    other_footer = paseto.b64encode(b'{"kid":"another"}')
    with pytest.raises(TokenError, match="bad token signature"):
        paseto.verify(f"v4.public.{body}.{other_footer}", key, implicit=implicit)
    flipped = ("B" if body[5] == "A" else "A").join((body[:5], body[6:]))
    with pytest.raises(TokenError, match="bad token signature"):
        paseto.verify(f"v4.public.{flipped}.{foot}", key, implicit=implicit)


@pytest.mark.parametrize(
    ("token", "why"),
    [
        ("v4.public.", "shorter than a signature"),
        ("v4.public.AAAA=", "not unpadded URL-safe base64"),
        ("v4.public.AA+/", "not unpadded URL-safe base64"),
        ("v4.public.A", "not unpadded URL-safe base64"),
        ("v4.public.AB", "non-canonical base64"),
        ("v4.public.a.b.c", "5 dot-separated parts"),
        ("v2.public.AAAA", "expected a 'v4.public.' token"),
    ],
)
def test_malformed_tokens_say_what_is_wrong(token: str, why: str) -> None:
    with pytest.raises(TokenError, match=why):
        paseto.verify(token, bytes(32))


def test_pae_matches_the_specification_examples() -> None:
    assert paseto.pae([]) == b"\x00" * 8
    assert paseto.pae([b""]) == b"\x01" + b"\x00" * 7 + b"\x00" * 8
    assert paseto.pae([b"test"]) == (
        b"\x01\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00test"
    )
