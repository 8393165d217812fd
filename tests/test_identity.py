from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hub.errors import ConfigError
from hub.identity import (
    KEY_FILE,
    TOKEN_FILE,
    Identity,
    load_or_create_api_token,
    load_or_create_identity,
    node_id_for,
    token_matches,
    write_secret,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_zero() -> Iterator[None]:
    """The most permissive umask: files get exactly the mode they are created with."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_first_run_creates_private_dir_and_key_even_with_umask_0(
    tmp_path: Path, umask_zero: None
) -> None:
    data = tmp_path / "a" / "data"
    identity = load_or_create_identity(data)
    assert mode(data) == 0o700
    assert mode(data / KEY_FILE) == 0o600
    assert identity.node_id == node_id_for(identity.public_key)
    # no temporary file is left behind
    assert sorted(p.name for p in data.iterdir()) == [KEY_FILE]


def test_node_id_is_stable_across_loads(tmp_path: Path) -> None:
    first = load_or_create_identity(tmp_path)
    second = load_or_create_identity(tmp_path)
    assert second.node_id == first.node_id
    assert second.public_key == first.public_key
    assert second == first


def test_node_id_format_is_a_safe_topic_level() -> None:
    # pinned: changing the derivation would change every deployed node's id
    assert node_id_for(bytes(32)) == "mzuhvlpymk6xo3epygfy5h4oea"
    for _ in range(20):
        node_id = Identity.generate().node_id
        assert re.fullmatch(r"[a-z2-7]{26}", node_id), node_id


def test_different_keys_give_different_ids(tmp_path: Path) -> None:
    one = load_or_create_identity(tmp_path / "one")
    two = load_or_create_identity(tmp_path / "two")
    assert one.public_key != two.public_key
    assert one.node_id != two.node_id


def test_sign_and_verify(tmp_path: Path) -> None:
    identity = load_or_create_identity(tmp_path)
    signature = identity.sign(b"turn on the kitchen light")
    assert len(signature) == 64
    assert Identity.verify(identity.public_key, b"turn on the kitchen light", signature)


def test_tampering_fails_verification(tmp_path: Path) -> None:
    identity = load_or_create_identity(tmp_path)
    data = b"unlock the front door"
    signature = identity.sign(data)
    tampered = bytes([signature[0] ^ 1]) + signature[1:]
    assert not Identity.verify(identity.public_key, data, tampered)
    assert not Identity.verify(identity.public_key, b"unlock the back door", signature)
    other = Identity.generate()
    assert not Identity.verify(other.public_key, data, signature)
    # malformed inputs are a False, not an exception
    assert not Identity.verify(identity.public_key, data, signature[:10])
    assert not Identity.verify(b"short", data, signature)


def test_refuses_a_key_others_can_read(tmp_path: Path) -> None:
    load_or_create_identity(tmp_path)
    key = tmp_path / KEY_FILE
    key.chmod(0o644)
    with pytest.raises(ConfigError, match=re.escape(f"run `chmod 600 {key}`")) as info:
        load_or_create_identity(tmp_path)
    assert "mode 0644" in str(info.value)
    key.chmod(0o600)
    load_or_create_identity(tmp_path)


@pytest.mark.parametrize(
    "content",
    [b"", b"garbage", b"atmosphere-ed25519-seed-v1 AAAA\n", b"\xff\xfe\x00binary"],
    ids=["empty", "garbage", "short-seed", "binary"],
)
def test_corrupt_key_names_the_file(tmp_path: Path, content: bytes) -> None:
    key = tmp_path / KEY_FILE
    key.write_bytes(content)
    key.chmod(0o600)
    with pytest.raises(ConfigError, match=re.escape(f"{key}: {KEY_FILE} is corrupt")) as info:
        load_or_create_identity(tmp_path)
    assert "move it aside" in str(info.value)


def test_concurrent_first_runs_agree_on_one_key(tmp_path: Path) -> None:
    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(lambda _: load_or_create_identity(tmp_path).node_id, range(8)))
    assert ids == {load_or_create_identity(tmp_path).node_id}


def test_write_secret_never_replaces_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    assert write_secret(path, b"first")
    assert not write_secret(path, b"second")
    assert path.read_bytes() == b"first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret"]


def test_identity_repr_hides_the_private_key(tmp_path: Path) -> None:
    identity = load_or_create_identity(tmp_path)
    seed = bytes(identity.signing_key)
    assert identity.node_id in repr(identity)
    assert "signing_key" not in repr(identity)
    assert seed.hex() not in repr(identity)


def test_api_token_created_private_and_stable(tmp_path: Path, umask_zero: None) -> None:
    token = load_or_create_api_token(tmp_path / "data")
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token), token
    assert mode(tmp_path / "data" / TOKEN_FILE) == 0o600
    assert load_or_create_api_token(tmp_path / "data") == token


def test_api_token_refused_when_readable_by_others(tmp_path: Path) -> None:
    load_or_create_api_token(tmp_path)
    path = tmp_path / TOKEN_FILE
    path.chmod(0o640)
    with pytest.raises(ConfigError, match=re.escape(f"run `chmod 600 {path}`")):
        load_or_create_api_token(tmp_path)


def test_user_chosen_api_token(tmp_path: Path) -> None:
    path = tmp_path / TOKEN_FILE
    path.write_text("my-own-long-token-123\n")
    path.chmod(0o600)
    assert load_or_create_api_token(tmp_path) == "my-own-long-token-123"
    path.write_text("short\n")
    with pytest.raises(ConfigError, match="one line of at least 16 characters"):
        load_or_create_api_token(tmp_path)


def test_token_matches() -> None:
    assert token_matches("s3cret-token-value", "s3cret-token-value")
    assert not token_matches("s3cret-token-value", "s3cret-token-valuf")
    assert not token_matches("s3cret-token-value", "")
    assert not token_matches("", "")
    assert not token_matches("s3cret-token-value", "s3cret-token-valueé")


def test_a_new_api_token_never_starts_with_a_dash(tmp_path: Path) -> None:
    # `atmosphere ... --token TOKEN` reads a leading "-" as an option (argparse); one token in
    # 64 would start with one. Enough fresh tokens to have met that case ~30 times.
    tokens = [load_or_create_api_token(tmp_path / str(i)) for i in range(2000)]
    assert len(set(tokens)) == 2000
    assert not [t for t in tokens if t.startswith("-")]
