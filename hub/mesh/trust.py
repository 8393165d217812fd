"""This hub's place in the mesh: the root public key, its own node token, the keyring of
peers and the revocations, loaded at start and handed to the RPC endpoints.

Where things live (``<data_dir>/mesh/``, written by ``atmosphere mesh join``)::

    root.pub     the mesh root public key (PASERK k4.public), unless `mesh: root_key:` says
    node.token   this hub's node token (0600), unless `mesh: token_file:` says

A hub with no root public key is not in a mesh: it trusts only its own key. A hub in a
mesh without a valid token of its own still starts (it serves its local callers, and
admits peers), but its peers refuse its requests: that is logged at WARNING on start.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from hub.clock import Clock
from hub.config import MeshConfig
from hub.errors import ConfigError, TokenError
from hub.identity import Identity, ensure_data_dir, read_secret
from hub.mesh.peers import Keyring, PeerGuard
from hub.mesh.revocations import Revocations
from hub.mesh.tokens import (
    ROOT_PUBLIC_FILE,
    NodeToken,
    check_times,
    decode_public_key,
    encode_public_key,
    format_time,
    mesh_id_for,
    read_node_token,
)
from hub.model import NodeId
from hub.store import Store

_LOGGER = logging.getLogger(__name__)

MESH_DIR = "mesh"
NODE_TOKEN_FILE = "node.token"


@dataclass(frozen=True, slots=True)
class Paths:
    root_public: Path
    node_token: Path

    @classmethod
    def of(cls, config: MeshConfig, data_dir: Path) -> Paths:
        folder = data_dir / MESH_DIR
        return cls(folder / ROOT_PUBLIC_FILE, config.token_file or folder / NODE_TOKEN_FILE)


def root_public_key(config: MeshConfig, data_dir: Path) -> bytes | None:
    """The mesh root public key: from the configuration, else from ``mesh/root.pub``."""
    if config.root_key is not None:
        return decode_public_key(config.root_key)
    path = Paths.of(config, data_dir).root_public
    if not path.exists():
        return None
    try:
        return decode_public_key(path.read_text(), str(path))
    except (OSError, UnicodeDecodeError, TokenError) as exc:
        raise ConfigError(
            f"not a mesh root public key ({exc}); run `atmosphere mesh join` again",
            where=str(path),
        ) from exc


def join(
    config: MeshConfig,
    data_dir: Path,
    identity: Identity,
    token: str,
    root_public: bytes,
    now: datetime,
) -> NodeToken:
    """Store `token` as this hub's node token, and the root public key beside it, once the
    token proves to be this node's (its id and key) and valid now. Blocking file I/O."""
    node_token = read_node_token(token, root_public)
    if node_token.node_id != identity.node_id or node_token.public_key != identity.public_key:
        raise TokenError(
            f"this node token is for node {node_token.node_id}, but this hub is node "
            f"{identity.node_id}: issue one with `atmosphere mesh token issue --node "
            f"{identity.node_id} --public-key {encode_public_key(identity.public_key)}`"
        )
    check_times(node_token, now)
    paths = Paths.of(config, data_dir)
    ensure_data_dir(paths.root_public.parent)
    ensure_data_dir(paths.node_token.parent)
    _replace(paths.root_public, encode_public_key(root_public) + "\n", 0o644)
    _replace(paths.node_token, node_token.token + "\n", 0o600)
    return node_token


def _replace(path: Path, text: str, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


class MeshTrust:
    """``async with MeshTrust(config, data_dir, identity, store, clock, type_of)``.

    `guard` is None when the hub is in no mesh; otherwise the RPC endpoints' `Trust`.
    `type_of` gives a local capability's type (for the cluster a request asks for)."""

    def __init__(
        self,
        config: MeshConfig,
        data_dir: Path,
        identity: Identity,
        store: Store,
        clock: Clock,
        type_of: Callable[[str], str | None],
    ) -> None:
        self._config = config
        self._data_dir = data_dir
        self._identity = identity
        self._store = store
        self._clock = clock
        self._type_of = type_of
        self.root_public: bytes | None = None
        self.own_token: NodeToken | None = None
        self.revocations: Revocations | None = None
        self.keyring: Keyring | None = None
        self.guard: PeerGuard | None = None

    @property
    def mesh_id(self) -> str | None:
        return mesh_id_for(self.root_public) if self.root_public is not None else None

    async def __aenter__(self) -> Self:
        self.root_public = await asyncio.to_thread(
            root_public_key, self._config, self._data_dir
        )
        if self.root_public is None:
            if self._config.mesh_id is not None:
                raise ConfigError(
                    f"mesh: mesh_id {self._config.mesh_id} is set, but no mesh root public key"
                    " is known: set mesh: root_key, or run `atmosphere mesh join`"
                )
            _LOGGER.debug("in no mesh: no root public key configured or joined")
            return self
        if self._config.mesh_id is not None and self._config.mesh_id != self.mesh_id:
            raise ConfigError(
                f"mesh: mesh_id {self._config.mesh_id} is not the mesh this hub joined "
                f"({self.mesh_id}, {Paths.of(self._config, self._data_dir).root_public})"
            )
        self.own_token = await asyncio.to_thread(self._own_token)
        self.revocations = await Revocations(
            self.root_public, self._clock, store=self._store
        ).__aenter__()
        self.keyring = Keyring(self.root_public, self._clock, self.revocations)
        self.guard = PeerGuard(
            self._identity.node_id,
            self.keyring,
            self._type_of,
            credential=self.own_token.token if self.own_token is not None else "",
        )
        _LOGGER.info(
            "in mesh mesh=%s node=%s token=%s",
            self.mesh_id,
            self._identity.node_id,
            self.own_token.token_id if self.own_token else "none",
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.revocations is not None:
            await self.revocations.__aexit__(exc_type, exc, tb)

    def _own_token(self) -> NodeToken | None:
        assert self.root_public is not None
        path = Paths.of(self._config, self._data_dir).node_token
        if not path.exists():
            _LOGGER.warning(
                "in mesh %s without a node token (%s): peers will refuse this hub's requests;"
                " run `atmosphere mesh join TOKEN`",
                self.mesh_id,
                path,
            )
            return None
        try:
            token = read_node_token(read_secret(path).decode().strip(), self.root_public)
        except (TokenError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"not a node token of mesh {self.mesh_id}: {exc}; run `atmosphere mesh join`"
                " with a token issued for this node",
                where=str(path),
            ) from exc
        if token.node_id != self._identity.node_id:
            raise ConfigError(
                f"the node token is for node {token.node_id}, this hub is {self._identity.node_id}",
                where=str(path),
            )
        try:
            check_times(token, self._clock.now())
        except TokenError as exc:
            _LOGGER.warning("%s: peers will refuse this hub's requests", exc)
        return token

    def public_key(self, node: NodeId) -> bytes | None:
        if node == self._identity.node_id:
            return self._identity.public_key
        return self.keyring.public_key(node) if self.keyring is not None else None

    def status(self) -> dict[str, Any]:
        """What ``atmosphere mesh status`` shows (JSON-ready)."""
        own = self.own_token
        revocations = self.revocations
        return {
            "mesh_id": self.mesh_id,
            "root_key": encode_public_key(self.root_public) if self.root_public else None,
            "node_id": self._identity.node_id,
            "public_key": encode_public_key(self._identity.public_key),
            "node_token": own.claims() if own is not None else None,
            "peers": [
                {**token.claims(), "revoked": bool(revocations and
                                                   revocations.is_revoked(token.token_id))}
                for token in (self.keyring.peers() if self.keyring else ())
            ],
            "revocations": {
                jti: format_time(expires)
                for jti, expires in (revocations.entries().items() if revocations else ())
            },
        }
