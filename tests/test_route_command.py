"""`atmosphere route`: one text, a JSONL batch, and the errors a user can make."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hub.cli import main

DEVICES = Path(__file__).parent / "data" / "routing" / "devices.yaml"
ROOT = Path(__file__).parent.parent


def test_one_text_prints_the_decision_and_candidates(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["route", "unlock the back door", "--devices", str(DEVICES), "--no-embeddings"])
    out = capsys.readouterr().out
    assert code == 0
    assert "decision  lock.unlock" in out
    assert "targets   lock.back_door" in out
    assert "node home-hub" in out
    header = next(line for line in out.splitlines() if "SCORE" in line)
    assert header.split() == ["SCORE", "KIND", "TOOL", "TARGETS", "REASON"]
    rows = out.split(header, 1)[1].strip().splitlines()
    assert rows[0].split()[:3] == ["1.00", "lock", "unlock"]
    assert any(row.split()[2] == "lock" and "opposite" in row for row in rows)


def test_one_text_with_an_area_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["route", "turn the lights off", "--area", "bedroom", "--json"]
    code = main([*argv, "--devices", str(DEVICES), "--no-embeddings"])
    line = json.loads(capsys.readouterr().out)
    assert code == 0
    assert line["capability"] == "light" and line["tool"] == "turn_off"
    assert sorted(line["targets"]) == ["light.bedroom_ceiling", "light.bedside_lamp"]
    assert line["ms"] >= 0


def test_no_decision_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["route", "turn it off", "--devices", str(DEVICES), "--no-embeddings"])
    assert code == 1
    assert "no decision" in capsys.readouterr().out


def test_batch_writes_one_line_per_query(tmp_path: Path) -> None:
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        json.dumps({"text": "dim the kitchen lights to 30%"})
        + "\n\n"
        + json.dumps({"text": "close the blinds", "context": {"area": "office"}})
        + "\n"
        + json.dumps({"text": "transcribe this recording"})
        + "\n"
    )
    output = tmp_path / "out.jsonl"
    # As a user runs it: a separate process, through the console entry point's module.
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "route", "--devices", str(DEVICES),
         "--input", str(queries), "--output", str(output), "--no-embeddings"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "3 queries resolved" in done.stderr
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert [line["text"] for line in lines] == [
        "dim the kitchen lights to 30%",
        "close the blinds",
        "transcribe this recording",
    ]
    for line in lines:
        assert set(line) == {"text", "capability", "tool", "targets", "args", "node", "score",
                             "confidence", "outcome", "path", "ms"}
    assert lines[0]["args"] == {"brightness_pct": 30}
    assert (lines[1]["tool"], lines[1]["targets"]) == ("close_cover", ["cover.office_shade"])
    assert (lines[2]["capability"], lines[2]["targets"]) == ("audio/transcribe", ["ai.whisper"])


def test_batch_to_stdout_with_a_default_area(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        '{"text": "lights on"}\n{"text": "lights on", "context": {"area": "office"}}\n'
    )
    argv = ["route", "--devices", str(DEVICES), "--input", str(queries), "--area", "kitchen"]
    assert main([*argv, "--no-embeddings"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(lines[0]["targets"]) == ["light.kitchen_ceiling", "light.kitchen_counter"]
    assert lines[1]["targets"] == ["light.desk_lamp"]


def test_a_bad_query_line_is_reported_and_the_rest_resolved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"text": "lock the front door"}\nnot json\n{"words": "x"}\n')
    code = main(["route", "--devices", str(DEVICES), "--input", str(queries), "--no-embeddings"])
    captured = capsys.readouterr()
    assert code == 1
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert lines[0]["tool"] == "lock"
    assert lines[1] == {"text": None, "error": f"{queries}:2: not JSON: Expecting value: "
                        "line 1 column 1 (char 0)"}  # fmt: skip
    assert lines[2]["error"] == f'{queries}:3: expected {{"text": "...", ...}}'
    assert "1 queries resolved" in captured.err and "2 bad lines" in captured.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["route"], "give either TEXT or --input QUERIES.jsonl"),
        (["route", "x", "--input", "q.jsonl"], "give either TEXT or --input QUERIES.jsonl"),
        (["route", "x", "--devices", "/nonexistent/home.yaml"],
         "--devices: no such file: /nonexistent/home.yaml"),
        (["route", "--input", "/nonexistent/q.jsonl", "--devices", str(DEVICES)],
         "--input: no such file: /nonexistent/q.jsonl"),
    ],
)  # fmt: skip
def test_usage_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--no-embeddings"]) == 2
    assert message in capsys.readouterr().err


def test_a_broken_device_file_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    devices = tmp_path / "home.yaml"
    devices.write_text("capabilities:\n  - {id: light.a, type: light}\n  - {type: light}\n")
    assert main(["route", "x", "--devices", str(devices), "--no-embeddings"]) == 2
    err = capsys.readouterr().err
    assert "home.yaml:3" in err


def test_without_devices_the_configuration_must_declare_capabilities(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "configuration.yaml").write_text("name: test\n")
    assert main(["route", "x", "--config", str(tmp_path), "--no-embeddings"]) == 2
    assert "no capabilities to route to: pass --devices FILE" in capsys.readouterr().err


def test_a_home_assistant_states_dump_is_a_device_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    states = [
        {"entity_id": "light.kitchen_ceiling", "state": "off",
         "attributes": {"friendly_name": "Kitchen ceiling", "supported_color_modes": ["hs"]},
         "last_changed": "2026-01-01T00:00:00+00:00"},
        {"entity_id": "lock.front_door", "state": "locked",
         "attributes": {"friendly_name": "Front door"}},
        {"entity_id": "binary_sensor.front_door", "state": "off",
         "attributes": {"friendly_name": "Front door contact", "device_class": "door"}},
        {"entity_id": "sun.sun", "state": "above_horizon", "attributes": {}},
        {"entity_id": "zone.home", "state": "2", "attributes": {}},
    ]  # fmt: skip
    dump = tmp_path / "states.json"
    dump.write_text(json.dumps(states))
    argv = ["route", "unlock the front door", "--devices", str(dump), "--json"]
    code = main([*argv, "--no-embeddings"])
    captured = capsys.readouterr()
    line = json.loads(captured.out)
    assert code == 0
    assert (line["capability"], line["tool"], line["targets"]) == (
        "lock", "unlock", ["lock.front_door"],
    )  # fmt: skip
    assert "skipped entities without standard tools: sun (1), zone (1)" in captured.err


def test_a_malformed_states_dump_names_the_entity(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = tmp_path / "states.json"
    dump.write_text(json.dumps([{"entity_id": "light.a", "state": "on"}, {"entity_id": 7}]))
    code = main(["route", "lights on", "--devices", str(dump), "--no-embeddings"])
    assert code == 2
    assert "[1]: expected an entity with 'entity_id' like 'light.kitchen'" in capsys.readouterr().err
