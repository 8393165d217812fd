"""A demo hub (lights, a motion sensor and a camera on a real Mosquitto) with agents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.hubs import demo_section, hub_config

FAST_ROUTING = {"per_channel": False}
"""The shipped int8 model as it is: building the per-channel copy takes seconds per data
directory, and each test has its own."""


@asynccontextmanager
async def agent_hub(tmp_path: Path, broker: Mosquitto, prefix: str,
                    agents: list[dict[str, Any]], **sections: Any) -> AsyncIterator[Hub]:
    config = hub_config(tmp_path, broker.host, broker.port,
                        integrations={"demo": demo_section(prefix)}, agents=agents,
                        routing=FAST_ROUTING, **sections)
    async with Hub(config) as hub:
        yield hub
