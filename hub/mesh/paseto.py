"""PASETO v4.public on PyNaCl: Ed25519 signatures over a pre-authentication encoding.

    token = "v4.public." + b64url(message || signature) [+ "." + b64url(footer)]
    signature = Ed25519(PAE("v4.public.", message, footer, implicit_assertion))

`sign` and `verify` are the whole protocol (https://github.com/paseto-standard/paseto-spec,
``docs/01-Protocol-Versions/Version4.md``), checked against the official test vectors in
tests/data/paseto/. The footer travels in clear but is signed; the implicit assertion is
signed but never travels: both sides must supply the same one. Only the public purpose is
implemented: a ``v4.local.`` token (or any other version) is refused as malformed.

Base64url is read strictly: no padding, no characters outside the URL-safe alphabet, and
no non-canonical trailing bits, so one token has exactly one spelling.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from collections.abc import Sequence

import nacl.exceptions
import nacl.signing

from hub.errors import TokenError

HEADER = "v4.public."
SIGNATURE_SIZE = 64
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


def pae(pieces: Sequence[bytes]) -> bytes:
    """Pre-authentication encoding: the count, then each piece after its length, as
    little-endian 64-bit integers with the top bit cleared."""
    out = [_le64(len(pieces))]
    for piece in pieces:
        out.append(_le64(len(piece)))
        out.append(piece)
    return b"".join(out)


def b64encode(data: bytes) -> str:
    """URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64decode(text: str, what: str = "token") -> bytes:
    """The inverse of `b64encode`; TokenError for anything else (padding included)."""
    if not _B64URL.match(text) or len(text) % 4 == 1:
        raise TokenError(f"malformed {what}: not unpadded URL-safe base64")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TokenError(f"malformed {what}: not unpadded URL-safe base64") from exc
    if b64encode(data) != text:  # stray low bits in the last character
        raise TokenError(f"malformed {what}: non-canonical base64")
    return data


def sign(
    message: bytes,
    signing_key: nacl.signing.SigningKey,
    footer: bytes = b"",
    implicit: bytes = b"",
) -> str:
    """A v4.public token carrying `message` (and `footer`), signed by `signing_key`."""
    signed = pae((HEADER.encode(), message, footer, implicit))
    signature = signing_key.sign(signed).signature
    token = HEADER + b64encode(message + signature)
    return f"{token}.{b64encode(footer)}" if footer else token


def footer_of(token: str) -> bytes:
    """The footer of a token, unverified (to choose the key that verifies it)."""
    parts = _parts(token)
    return b64decode(parts[3], "token footer") if len(parts) == 4 else b""


def verify(
    token: str,
    public_key: bytes,
    footer: bytes | None = None,
    implicit: bytes = b"",
) -> bytes:
    """The message of a valid token signed by `public_key`'s key; TokenError otherwise.

    `footer`: the footer the token must carry (None accepts any, b"" demands none).
    """
    parts = _parts(token)
    raw = b64decode(parts[2], "token body")
    if len(raw) < SIGNATURE_SIZE:
        raise TokenError(
            f"malformed token: its body is {len(raw)} bytes, shorter than a signature"
        )
    found = b64decode(parts[3], "token footer") if len(parts) == 4 else b""
    if footer is not None and found != footer:
        raise TokenError("token footer does not match the one expected")
    message, signature = raw[:-SIGNATURE_SIZE], raw[-SIGNATURE_SIZE:]
    signed = pae((HEADER.encode(), message, found, implicit))
    try:
        nacl.signing.VerifyKey(public_key).verify(signed, signature)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, TypeError) as exc:
        raise TokenError(
            "bad token signature (forged, altered, or issued with another key)"
        ) from exc
    return message


def _parts(token: str) -> list[str]:
    if not isinstance(token, str) or not token.startswith(HEADER):
        shown = ".".join(token.split(".")[:2]) + "." if isinstance(token, str) else token
        raise TokenError(f"malformed token: expected a {HEADER!r} token, got {shown!r}")
    parts = token.split(".")
    if len(parts) not in (3, 4):
        raise TokenError(f"malformed token: {len(parts)} dot-separated parts, expected 3 or 4")
    return parts


def _le64(n: int) -> bytes:
    return struct.pack("<Q", n & 0x7FFF_FFFF_FFFF_FFFF)
