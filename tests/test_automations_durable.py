"""Durable time with a real hub process killed (SIGKILL) in the middle of a `delay` and of a
`for:`, then started again: each run completes exactly once (messages and traces counted),
including when the wait fell due while the hub was down."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import yaml

from tests.automations import write_automations
from tests.broker import Mosquitto
from tests.mqtt import mqtt_peer
from tests.waiting import eventually

AUTOMATIONS = """
- id: later
  triggers: [{{trigger: mqtt, topic: "{dev}/go"}}]
  actions:
    - delay: 2
    - action: mqtt.publish
      data: {{topic: "{dev}/done", payload: "{{{{ trigger.payload }}}}"}}
- id: held
  triggers:
    - trigger: state
      entity_id: binary_sensor.hall_motion
      to: "on"
      for: 2
  actions:
    - action: mqtt.publish
      data: {{topic: "{dev}/held", payload: "{{{{ trigger.to_state.state }}}}"}}
"""


@contextmanager
def hub_process(config_dir: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "run", "--config", str(config_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    text = (config_dir / "configuration.yaml").read_text().replace("!include", "")
    port = yaml.safe_load(text)["http"]["port"]
    deadline = time.monotonic() + 30
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=0.5).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql))


async def test_kill_in_a_delay_and_a_for_completes_each_run_once(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> None:
    dev = f"{topic_prefix}/dev"
    config_dir = write_automations(tmp_path, mosquitto, dev, AUTOMATIONS.format(dev=dev))
    db = tmp_path / "data" / "hub.db"
    with mqtt_peer(mosquitto.host, mosquitto.port) as peer:
        peer.subscribe(f"{dev}/#")
        with hub_process(config_dir) as first:
            peer.publish(f"{dev}/motion", "ON")
            # the motion state is saved (written behind) before the kill
            await eventually(lambda: any('"on"' in str(r[0]) or "ON" in str(r[0]) for r in rows(
                db, "SELECT json FROM states WHERE id = 'binary_sensor.hall_motion'")),
                timeout=10)
            peer.publish(f"{dev}/go", "first")
            await eventually(lambda: len(rows(db, "SELECT key FROM automation_timers")) == 2,
                             timeout=10)
            first.send_signal(signal.SIGKILL)
            first.wait()
        assert peer.messages(f"{dev}/done") == []
        assert peer.messages(f"{dev}/held") == []
        dues = [float(str(r[0])) for r in rows(db, "SELECT due FROM automation_timers")]
        # both fall due while the hub is down
        await eventually(lambda: time.time() > max(dues) + 0.2, timeout=10)
        with hub_process(config_dir) as second:
            await eventually(lambda: peer.messages(f"{dev}/done") == [b"first"], timeout=10)
            await eventually(lambda: peer.messages(f"{dev}/held") == [b"on"], timeout=10)
            await eventually(lambda: rows(db, "SELECT key FROM automation_timers") == [],
                             timeout=10)
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
        traces = rows(db, "SELECT automation, json FROM automation_traces")
        by_automation: dict[str, list[dict[str, object]]] = {}
        for automation, text in traces:
            by_automation.setdefault(str(automation), []).append(json.loads(str(text)))
        assert len(by_automation["later"]) == 1
        assert by_automation["later"][0]["resumed"] is True
        assert by_automation["later"][0]["script_execution"] == "finished"
        assert len(by_automation["held"]) == 1
        assert peer.messages(f"{dev}/done") == [b"first"]
        assert peer.messages(f"{dev}/held") == [b"on"]


async def test_restart_in_the_middle_of_a_delay_resumes_the_remaining_time(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> None:
    dev = f"{topic_prefix}/dev"
    text = AUTOMATIONS.format(dev=dev).replace("delay: 2", "delay: 4")
    config_dir = write_automations(tmp_path, mosquitto, dev, text)
    db = tmp_path / "data" / "hub.db"
    with mqtt_peer(mosquitto.host, mosquitto.port) as peer:
        peer.subscribe(f"{dev}/#")
        with hub_process(config_dir) as first:
            peer.publish(f"{dev}/go", "again")
            await eventually(lambda: len(rows(db, "SELECT key FROM automation_timers")) == 1,
                             timeout=10)
            first.send_signal(signal.SIGKILL)
            first.wait()
        with hub_process(config_dir) as second:  # restarted before the delay is over
            await eventually(lambda: peer.messages(f"{dev}/done") == [b"again"], timeout=10)
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
        later = rows(db, "SELECT json FROM automation_traces WHERE automation = 'later'")
        assert len(later) == 1
        assert peer.messages(f"{dev}/done") == [b"again"]
