"""The node's identity: an Ed25519 key on disk, the node id derived from it, the API token.

Both secrets live in the data directory (created 0700) in files of mode 0600. A file is
written to a temporary name opened with ``O_CREAT | O_EXCL`` and mode 0600, synced, then
moved into place, so a crash leaves either no file or a whole one, and the mode is never
wider than 0600 whatever the umask. A secret file that other users can read is refused:
the key may already have leaked, and the user must decide (``chmod 600`` or a new key).

The node id is ``base32(sha256(public_key)[:16])``, lowercase, without padding: 26
characters from ``a-z2-7``, so it is a safe MQTT topic level and a safe file name, and
nobody can claim it without the private key. See docs/security.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from hub.errors import ConfigError
from hub.model import NodeId

_LOGGER = logging.getLogger(__name__)

KEY_FILE = "node.key"
TOKEN_FILE = "api_token"
NODE_ID_BYTES = 16
"""128 bits of SHA-256: collisions among a mesh's nodes are out of reach."""

_KEY_HEADER = "atmosphere-ed25519-seed-v1"
"""First word of the key file: says what the file is and lets the format evolve."""
_SEED_BYTES = 32


@dataclass(frozen=True, slots=True)
class Identity:
    """A node's key pair and the node id derived from its public key."""

    node_id: NodeId
    public_key: bytes
    signing_key: SigningKey = field(repr=False, compare=False)

    @classmethod
    def from_signing_key(cls, signing_key: SigningKey) -> Identity:
        public_key = bytes(signing_key.verify_key)
        return cls(node_id_for(public_key), public_key, signing_key)

    @classmethod
    def generate(cls) -> Identity:
        """A fresh identity that lives only in memory (tests, simulations)."""
        return cls.from_signing_key(SigningKey.generate())

    def sign(self, data: bytes) -> bytes:
        """The 64-byte Ed25519 signature of `data` (detached)."""
        return self.signing_key.sign(data).signature

    @staticmethod
    def verify(public_key: bytes, data: bytes, signature: bytes) -> bool:
        """Whether `signature` is `public_key`'s signature of `data`; never raises."""
        try:
            VerifyKey(public_key).verify(data, signature)
        except (BadSignatureError, ValueError, TypeError):
            # nacl raises ValueError subclasses for keys or signatures of the wrong length
            return False
        return True


def node_id_for(public_key: bytes) -> NodeId:
    """The node id of `public_key`: lowercase base32 of its SHA-256's first 16 bytes."""
    digest = hashlib.sha256(public_key).digest()[:NODE_ID_BYTES]
    return NodeId(base64.b32encode(digest).decode("ascii").rstrip("=").lower())


def load_or_create_identity(data_dir: Path | str) -> Identity:
    """Load the node key from `data_dir`, creating the directory and the key on first run.

    Blocking (file I/O): call it through `asyncio.to_thread` from async code.
    Raises `ConfigError` naming the file when the key is unprotected or corrupt.
    """
    directory = ensure_data_dir(data_dir)
    path = directory / KEY_FILE
    if not path.exists():
        seed = secrets.token_bytes(_SEED_BYTES)
        text = f"{_KEY_HEADER} {base64.b64encode(seed).decode('ascii')}\n"
        if write_secret(path, text.encode("ascii")):
            identity = Identity.from_signing_key(SigningKey(seed))
            _LOGGER.info("created node key path=%s node=%s", path, identity.node_id)
            return identity
        # another process created the key first: fall through and load theirs
    identity = Identity.from_signing_key(SigningKey(_parse_key(path, read_secret(path))))
    _LOGGER.debug("loaded node key path=%s node=%s", path, identity.node_id)
    return identity


def load_or_create_api_token(data_dir: Path | str) -> str:
    """The web API token from `data_dir`/api_token, created on first run (0600).

    The token is 32 random bytes in URL-safe base64 (43 characters), never starting with
    "-" (a command line would read it as an option). A user may replace
    the file with a token of their own (one line, at least 16 characters).
    """
    directory = ensure_data_dir(data_dir)
    path = directory / TOKEN_FILE
    if not path.exists():
        token = secrets.token_urlsafe(32)
        while token.startswith("-"):  # `--token TOKEN` would read it as an option
            token = secrets.token_urlsafe(32)
        if write_secret(path, f"{token}\n".encode("ascii")):
            _LOGGER.info("created API token path=%s", path)
            return token
    try:
        token = read_secret(path).decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise ConfigError(_corrupt(path, "the API token is not text"), where=str(path)) from exc
    if len(token) < 16 or any(c.isspace() for c in token):
        raise ConfigError(
            _corrupt(path, "the API token must be one line of at least 16 characters"),
            where=str(path),
        )
    return token


def token_matches(expected: str, given: str) -> bool:
    """Compare a presented token with the expected one in constant time."""
    if not expected:
        return False  # an unset token must never match an empty credential
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def ensure_data_dir(data_dir: Path | str) -> Path:
    """Create `data_dir` with mode 0700 if missing; return it as a `Path`."""
    directory = Path(data_dir)
    if not directory.is_dir():
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            # mkdir's mode is masked by the umask; set it exactly
            os.chmod(directory, 0o700)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the data directory: {exc.strerror}; create it (mode 0700)"
                " or choose another data_dir",
                where=str(directory),
            ) from exc
        _LOGGER.info("created data directory path=%s", directory)
    return directory


def write_secret(path: Path, data: bytes) -> bool:
    """Atomically create `path` (mode 0600) holding `data`.

    Returns False, writing nothing, if `path` already exists (another process won a race).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            # link fails if the target exists: a concurrent creator's key is never replaced
            os.link(tmp, path)
            created = True
        except FileExistsError:
            created = False
        except OSError:
            # filesystems without hard links (FAT, some FUSE): a plain rename
            os.replace(tmp, path)
            created = True
        _fsync_dir(path.parent)
    except OSError as exc:
        raise ConfigError(
            f"cannot write {path.name}: {exc.strerror}; check that the data directory is"
            " writable by the hub's user",
            where=str(path),
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return created


def read_secret(path: Path) -> bytes:
    """Read a secret file, refusing it when group or others have any access to it."""
    try:
        with open(path, "rb") as file:
            mode = stat.S_IMODE(os.fstat(file.fileno()).st_mode)
            if mode & 0o077:
                raise ConfigError(
                    f"{path.name} is accessible by other users (mode {mode:04o}); it must be"
                    f" private to the hub's user: run `chmod 600 {path}`",
                    where=str(path),
                )
            return file.read()
    except OSError as exc:
        raise ConfigError(
            f"cannot read {path.name}: {exc.strerror}; check the file's owner and that it is"
            " readable by the hub's user",
            where=str(path),
        ) from exc


def _parse_key(path: Path, raw: bytes) -> bytes:
    try:
        header, encoded = raw.decode("ascii").split()
        seed = base64.b64decode(encoded, validate=True)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(_corrupt(path, "not a node key"), where=str(path)) from exc
    if header != _KEY_HEADER or len(seed) != _SEED_BYTES:
        raise ConfigError(_corrupt(path, "not a node key"), where=str(path))
    return seed


def _corrupt(path: Path, what: str) -> str:
    return (
        f"{path.name} is corrupt ({what}); restore it from a backup, or move it aside to"
        " create a new one (the node then gets a new node id and must be re-admitted)"
    )


def _fsync_dir(directory: Path) -> None:
    # the rename is durable only once the directory entry is on disk
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
