"""Node tokens: what the mesh root says about one node, verifiable with its public key alone.

A *node token* (not the HTTP *API token* of `hub.identity`: the two never mix) is a
PASETO v4.public token (`hub.mesh.paseto`) signed by the mesh root key. Its claims::

    iss     the mesh id: derived from the root public key (`mesh_id_for`)
    sub     the node id, derived from the node's public key (`hub.identity.node_id_for`)
    key     the node's Ed25519 public key, base64url
    scopes  what the node may call on its peers, in the router's cluster vocabulary
            (`hub.routing.gradient.cluster_of`): ``light.turn_on``, ``light.*``,
            ``camera.get_frame``, ``llm/chat.chat``; a type alone (``light``) is all of
            its tools, ``*`` is everything
    iat, nbf, exp   issued, valid from, expires: RFC 3339 UTC times
    jti     the token id, what a revocation names

The footer is ``{"kid": "<mesh id>"}``, so a token of another mesh is told apart from a
forged one before its signature is checked, and the implicit assertion
``atmosphere node token v1`` binds the purpose: nothing else the root signs (a
revocation list) can pass for a node token.

The root key is an Ed25519 key in a file of mode 0600, written atomically as the node key
is (`hub.identity.write_secret`); it never leaves the machine it was made on. Only its
public key travels, written as a PASERK ``k4.public.`` string.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from nacl.signing import SigningKey

from hub.errors import ConfigError, TokenError
from hub.identity import ensure_data_dir, node_id_for, read_secret, write_secret
from hub.mesh import paseto
from hub.model import NodeId

ROOT_KEY_FILE = "root.key"
ROOT_PUBLIC_FILE = "root.pub"
PASERK_PUBLIC = "k4.public."
IMPLICIT = b"atmosphere node token v1"
_ROOT_HEADER = "atmosphere-mesh-root-ed25519-seed-v1"
_SCOPE = re.compile(r"^(\*|[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)*(\.(\*|[a-z][a-z0-9_]*))?)$")


def mesh_id_for(root_public: bytes) -> str:
    """The mesh id: derived from the root public key as a node id is from a node key."""
    return str(node_id_for(root_public))


def encode_public_key(public_key: bytes) -> str:
    """A root (or node) public key as a PASERK ``k4.public.`` string."""
    if len(public_key) != 32:
        raise TokenError(
            f"a k4.public key is a 32-byte Ed25519 public key, this one {len(public_key)} bytes"
        )
    return PASERK_PUBLIC + paseto.b64encode(public_key)


def decode_public_key(text: str, what: str = "mesh root public key") -> bytes:
    """The inverse of `encode_public_key`; TokenError naming `what` when it is not one."""
    text = text.strip()
    if not text.startswith(PASERK_PUBLIC):
        raise TokenError(f"{what}: expected a {PASERK_PUBLIC!r} key, got {text[:16]!r}")
    key = paseto.b64decode(text[len(PASERK_PUBLIC) :], what)
    if len(key) != 32:
        raise TokenError(f"{what}: an Ed25519 public key is 32 bytes, this one {len(key)}")
    return key


def check_scope(scope: str) -> str:
    """`scope` if it is a valid scope, else TokenError saying what one looks like."""
    if not _SCOPE.match(scope):
        raise TokenError(
            f"scope {scope!r} is not a tool cluster: write TYPE.TOOL (light.turn_on,"
            " llm/chat.chat), TYPE.* or TYPE for all of a type's tools, or * for everything"
        )
    return scope


def scope_allows(scopes: Iterable[str], cluster: str) -> bool:
    """Whether one of `scopes` covers `cluster` (``light.turn_on``)."""
    kind = cluster.split(".", 1)[0]
    return any(
        scope in ("*", cluster, kind, f"{kind}.*") for scope in scopes
    )


def format_time(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class NodeToken:
    """A verified node token's claims, and the token itself."""

    mesh_id: str
    node_id: NodeId
    public_key: bytes
    scopes: tuple[str, ...]
    issued_at: datetime
    not_before: datetime
    expires_at: datetime
    token_id: str
    token: str = field(repr=False)

    def allows(self, cluster: str) -> bool:
        return scope_allows(self.scopes, cluster)

    def claims(self) -> dict[str, object]:
        """The claims for people (`atmosphere mesh status`), times as RFC 3339."""
        return {
            "mesh": self.mesh_id,
            "node": self.node_id,
            "public_key": encode_public_key(self.public_key),
            "scopes": list(self.scopes),
            "issued_at": format_time(self.issued_at),
            "expires_at": format_time(self.expires_at),
            "token_id": self.token_id,
        }


@dataclass(frozen=True, slots=True)
class RootKey:
    """The mesh root: signs node tokens and revocation lists."""

    signing_key: SigningKey = field(repr=False)

    @property
    def public_key(self) -> bytes:
        return bytes(self.signing_key.verify_key)

    @property
    def mesh_id(self) -> str:
        return mesh_id_for(self.public_key)

    def issue(
        self,
        node_public_key: bytes,
        scopes: Sequence[str],
        *,
        now: datetime,
        lifetime: timedelta,
        token_id: str | None = None,
    ) -> str:
        """A node token for the node whose public key is `node_public_key`."""
        if len(node_public_key) != 32:
            raise TokenError(
                f"node public key: an Ed25519 public key is 32 bytes, this one "
                f"{len(node_public_key)}"
            )
        if lifetime <= timedelta(0):
            raise TokenError(f"a node token must live a positive time, not {lifetime}")
        if not scopes:
            raise TokenError("a node token needs at least one scope (e.g. light.* or *)")
        claims = {
            "iss": self.mesh_id,
            "sub": node_id_for(node_public_key),
            "key": paseto.b64encode(node_public_key),
            "scopes": [check_scope(scope) for scope in scopes],
            "iat": format_time(now),
            "nbf": format_time(now),
            "exp": format_time(now + lifetime),
            "jti": token_id or secrets.token_hex(16),
        }
        message = json.dumps(claims, separators=(",", ":")).encode()
        return paseto.sign(message, self.signing_key, _footer(self.mesh_id), IMPLICIT)


def _footer(mesh_id: str) -> bytes:
    return json.dumps({"kid": mesh_id}, separators=(",", ":")).encode()


def read_node_token(token: str, root_public: bytes) -> NodeToken:
    """The claims of `token` if the root signed it for this mesh, whatever its times;
    TokenError otherwise (malformed, wrong mesh, bad signature)."""
    token = token.strip()
    mesh = mesh_id_for(root_public)
    footer = paseto.footer_of(token)
    try:
        kid = json.loads(footer).get("kid") if footer else None
    except (ValueError, AttributeError):
        kid = None
    if kid != mesh:
        raise TokenError(
            f"node token of another mesh ({kid or 'none named'}): this hub is in mesh {mesh}"
        )
    try:
        message = paseto.verify(token, root_public, implicit=IMPLICIT)
    except TokenError as exc:
        raise TokenError(f"node token: {exc}") from exc
    return _claims(message, token, mesh)


def verify_node_token(
    token: str, root_public: bytes, *, now: datetime, leeway: float = 60.0
) -> NodeToken:
    """`read_node_token`, and valid at `now` (within `leeway` seconds of clock skew)."""
    node_token = read_node_token(token, root_public)
    check_times(node_token, now, leeway)
    return node_token


def check_times(token: NodeToken, now: datetime, leeway: float = 60.0) -> None:
    slack = timedelta(seconds=leeway)
    if now > token.expires_at + slack:
        raise TokenError(
            f"node token {token.token_id} of node {token.node_id} expired at "
            f"{format_time(token.expires_at)} (now {format_time(now)}): issue a new one"
        )
    if now + slack < token.not_before:
        raise TokenError(
            f"node token {token.token_id} of node {token.node_id} is not yet valid: valid "
            f"from {format_time(token.not_before)}, now {format_time(now)} (check the clocks)"
        )


def _claims(message: bytes, token: str, mesh: str) -> NodeToken:
    try:
        claims = json.loads(message)
        if not isinstance(claims, dict):
            raise TypeError("claims are not an object")
        scopes = claims["scopes"]
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise TypeError("scopes must be a list of strings")
        public_key = paseto.b64decode(str(claims["key"]), "node public key")
        result = NodeToken(
            mesh_id=str(claims["iss"]),
            node_id=NodeId(str(claims["sub"])),
            public_key=public_key,
            scopes=tuple(scopes),
            issued_at=_time(claims["iat"]),
            not_before=_time(claims.get("nbf", claims["iat"])),
            expires_at=_time(claims["exp"]),
            token_id=str(claims["jti"]),
            token=token,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise TokenError(f"malformed node token claims: {exc}") from exc
    if result.mesh_id != mesh:
        raise TokenError(f"node token issued by mesh {result.mesh_id}: this hub is in {mesh}")
    if len(public_key) != 32 or node_id_for(public_key) != result.node_id:
        raise TokenError(
            f"malformed node token: its node id {result.node_id} is not its key's"
        )
    return result


def _time(value: object) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"a time must be an RFC 3339 string, got {value!r}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"time {value!r} has no time zone")
    return parsed.astimezone(UTC)


# --- the root key on disk ----------------------------------------------------------------


def create_root_key(directory: Path | str) -> tuple[RootKey, bool]:
    """The root key in `directory` (created 0700), made if missing: (key, created).

    Blocking file I/O. Also writes ``root.pub`` (the PASERK public key, for `mesh join`
    and the ``mesh:`` configuration)."""
    folder = ensure_data_dir(directory)
    path = folder / ROOT_KEY_FILE
    created = False
    if not path.exists():
        seed = secrets.token_bytes(32)
        text = f"{_ROOT_HEADER} {paseto.b64encode(seed)}\n".encode("ascii")
        created = write_secret(path, text)
    key = load_root_key(folder)
    public = folder / ROOT_PUBLIC_FILE
    if not public.exists():
        tmp = public.with_name(f".{public.name}.{os.getpid()}.tmp")
        tmp.write_text(encode_public_key(key.public_key) + "\n")
        os.replace(tmp, public)
    return key, created


def load_root_key(directory: Path | str) -> RootKey:
    path = Path(directory) / ROOT_KEY_FILE
    if not path.exists():
        raise ConfigError(
            f"no mesh root key here: run `atmosphere mesh init {directory}` on the machine"
            " that keeps the mesh root",
            where=str(path),
        )
    try:
        header, encoded = read_secret(path).decode("ascii").split()
        seed = paseto.b64decode(encoded, "root key")
    except (UnicodeDecodeError, ValueError, TokenError) as exc:
        raise ConfigError("not a mesh root key file (corrupt?)", where=str(path)) from exc
    if header != _ROOT_HEADER or len(seed) != 32:
        raise ConfigError("not a mesh root key file (corrupt?)", where=str(path))
    return RootKey(SigningKey(seed))
