"""Publishing many messages from another process, as a misbehaving device would: the test's
own process (and what tracemalloc measures there) holds none of the publisher's buffers.

Topics and text payloads are templates filled with the message's number (``{i}``); a
binary payload is the same for every message. Every message is QoS 1 and the publisher
exits once the broker has acknowledged them all, so a message published after
`publish_many` returns reaches a subscriber after all of them.
"""

from __future__ import annotations

import asyncio
import json
import sys

_PUBLISHER = r"""
import json, sys
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
spec = json.loads(sys.argv[1])
payload_bytes = bytes.fromhex(spec["payload_hex"]) if spec["payload_hex"] is not None else None
client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=spec["client_id"])
client.max_inflight_messages_set(1000)
client.max_queued_messages_set(0)
client.connect(spec["host"], spec["port"])
client.loop_start()
infos = []
for i in range(spec["start"], spec["start"] + spec["count"]):
    payload = payload_bytes if payload_bytes is not None else spec["payload"].replace("{i}", str(i))
    infos.append(client.publish(spec["topic"].replace("{i}", str(i)), payload, qos=1))
    if len(infos) >= 5000:
        for info in infos:
            info.wait_for_publish(60)
        infos = []
for info in infos:
    info.wait_for_publish(60)
client.disconnect()
client.loop_stop()
"""


async def publish_many(host: str, port: int, topic: str, count: int, *,
                       payload: str | bytes = "", start: int = 0) -> None:
    """Publish `count` messages on `topic` (``{i}`` is the message's number) and return
    when the broker has them all."""
    spec = {
        "host": host, "port": port, "topic": topic, "count": count, "start": start,
        "payload": payload if isinstance(payload, str) else "",
        "payload_hex": payload.hex() if isinstance(payload, bytes) else None,
        "client_id": f"flood-{id(topic):x}-{start}",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _PUBLISHER, json.dumps(spec), stderr=asyncio.subprocess.PIPE)
    _, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the publisher failed: {err.decode(errors='replace')}")
