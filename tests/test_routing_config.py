"""The `routing:` section: a model of the user's own, and clear errors for missing files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hub.config import load_config
from hub.errors import ConfigError
from hub.routing.embedder import default_model_path, default_tokenizer_path
from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.hubs import hub_config, write_config

DEVICES = [{"id": "light.kitchen", "type": "light", "name": "Kitchen light", "area": "kitchen"}]


def test_a_missing_model_file_names_file_and_line(tmp_path: Path) -> None:
    config_dir = write_config(tmp_path, routing={"model": "nowhere.onnx", "threads": 2})
    with pytest.raises(ConfigError, match=r"configuration\.yaml:\d+:\d+: routing\.model: "
                                          r"no such file: .*nowhere\.onnx"):
        load_config(config_dir)


def test_bad_threads_is_refused(tmp_path: Path) -> None:
    config_dir = write_config(tmp_path, routing={"threads": 0})
    with pytest.raises(ConfigError, match=r"routing\.threads: expected an integer 1\.\.64"):
        load_config(config_dir)


async def test_the_hub_routes_with_the_users_model(tmp_path: Path, mosquitto: Mosquitto) -> None:
    own = tmp_path / "config" / "my-encoder.onnx"
    own.parent.mkdir(parents=True)
    shutil.copyfile(default_model_path(), own)
    shutil.copyfile(default_tokenizer_path(), own.parent / "tokenizer.json")  # found beside it
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port, capabilities=DEVICES,
                        routing={"model": "my-encoder.onnx", "per_channel": False})
    assert config.routing.model == own
    async with Hub(config) as hub:
        resolution = await hub.resolve("kitchen light please")  # no verb: needs embeddings
        routing = await hub.routing()
    assert resolution.targets == ("light.kitchen",)
    assert routing.embedder.loaded
    assert routing.embedder.model_id.startswith("my-encoder-")
