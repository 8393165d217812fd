from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.broker import Mosquitto


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mosquitto]:
    """One real Mosquitto per test session, on a free loopback port (never 1883)."""
    broker = Mosquitto(tmp_path_factory.mktemp("mosquitto"))
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def llm_server() -> Iterator[str]:
    """One real local chat model per test session (llama.cpp's server with
    Qwen2.5-Coder-1.5B-Instruct, tests/llmserver.py): installed on first use, started only
    when a test asks for it. Its base URL."""
    from tests.llmserver import ensure_model, running_model_server

    with running_model_server(ensure_model()) as url:
        yield url


@pytest.fixture
def private_mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """A broker of the test's own, for tests that stop and restart it."""
    broker = Mosquitto(tmp_path / "mosquitto")
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def topic_prefix(request: pytest.FixtureRequest) -> str:
    """A topic prefix unique to this test, so tests sharing a broker never cross."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", request.node.name)[:40]
    return f"test/{uuid.uuid4().hex[:8]}/{name}"
