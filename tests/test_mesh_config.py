"""The `mesh:` section of configuration.yaml, checked with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import load_config
from hub.errors import ConfigError
from hub.mesh.tokens import create_root_key, encode_public_key
from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.hubs import hub_config
from tests.test_config import config_dir, load_error


def test_mesh_section_is_read(tmp_path: Path) -> None:
    root, _ = create_root_key(tmp_path / "root")
    key = encode_public_key(root.public_key)
    text = f"mesh:\n  root_key: {key}\n  mesh_id: {root.mesh_id}\n  token_file: tok/node.token\n"
    config = load_config(config_dir(tmp_path, text))
    assert config.mesh.root_key == key
    assert config.mesh.mesh_id == root.mesh_id
    assert config.mesh.token_file == tmp_path / "tok" / "node.token"


def test_mesh_section_problems_name_their_line(tmp_path: Path) -> None:
    root, _ = create_root_key(tmp_path / "root")
    other, _ = create_root_key(tmp_path / "other")
    key = encode_public_key(root.public_key)
    text = (
        f"mesh:\n  root_key: {key}\n  mesh_id: {other.mesh_id}\n  token: x\n"
    )
    assert load_error(config_dir(tmp_path, text)).splitlines() == [
        (f"configuration.yaml:3:12: mesh.mesh_id: mesh id {other.mesh_id} is not the id of "
        f"root_key (that is mesh {root.mesh_id}): copy both from `atmosphere mesh init`"),
        "configuration.yaml:4:3: mesh: unknown key 'token'; did you mean 'token_file'?",
    ]
    bad = "mesh:\n  root_key: k4.public.short\n"
    (tmp_path / "2").mkdir()
    assert load_error(config_dir(tmp_path / "2", bad)) == (
        "configuration.yaml:2:13: mesh.root_key: expected the mesh root public key as printed "
        "by `atmosphere mesh init`: k4.public. and 43 characters, got 'k4.public.short'"
    )


async def test_a_mesh_id_that_is_not_the_joined_ones_stops_the_start(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    root, _ = create_root_key(tmp_path / "root")
    other, _ = create_root_key(tmp_path / "other")
    mesh_dir = tmp_path / "data" / "mesh"
    mesh_dir.mkdir(parents=True)
    (mesh_dir / "root.pub").write_text(encode_public_key(root.public_key) + "\n")
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port,
                        mesh={"mesh_id": other.mesh_id})
    with pytest.raises(ConfigError, match=(
        f"mesh: mesh_id {other.mesh_id} is not the mesh this hub joined "
        rf"\({root.mesh_id}, {mesh_dir / 'root.pub'}\)"
    )):
        async with Hub(config):
            pass
