"""The `atmosphere` client commands as a user meets them: mistakes in arguments are caught
before the hub is called, and say what to type instead."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hub.cli import main
from hub.runtime import Hub
from tests.broker import Mosquitto, free_port
from tests.hubs import hub_config, write_config
from tests.test_web_api import TEST_LIGHT, TEST_SENSOR, running_hub
from tests.test_web_events import serving
from web import create_app


def nowhere() -> list[str]:
    """Client options for a hub that is not there: a command that got as far as calling
    it would say so ("hub not reachable")."""
    return ["--url", f"http://127.0.0.1:{free_port()}", "--token", "x" * 20]


def test_bad_args_json_shows_the_text_the_position_and_the_shell_hint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # what bash passes on for: --args {"brightness_pct": 30}
    code = main(["call", "light.kitchen", "turn_on", "--args", "{brightness_pct: 30}", *nowhere()])
    assert code == 2
    assert capsys.readouterr().err == (
        "atmosphere call: --args is not valid JSON: Expecting property name enclosed in double"
        " quotes (line 1, column 2):\n"
        "  {brightness_pct: 30}\n"
        "   ^\n"
        "In a shell, put the JSON in single quotes, so that its double quotes reach the hub:\n"
        "  --args '{\"brightness_pct\": 30}'\n"
    )


def test_args_that_are_not_an_object_are_shown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", "light.kitchen", "turn_on", "--args", "[30]", *nowhere()]) == 2
    assert capsys.readouterr().err == (
        "atmosphere call: --args must be a JSON object, e.g. '{\"brightness_pct\": 30}', got:"
        " [30]\n"
    )


def test_an_output_in_a_missing_folder_is_refused_before_the_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "frame.jpg"
    code = main(["call", "camera.front_door", "get_frame", "--output", str(target), *nowhere()])
    assert code == 2
    assert capsys.readouterr().err == (
        f"atmosphere call: --output {target}: the folder {target.parent} does not exist;"
        " create it first\n"
    )
    code = main(["call", "camera.front_door", "get_frame", "-o", str(tmp_path), *nowhere()])
    assert code == 2
    assert "is a folder; give a file name in it" in capsys.readouterr().err
    # a good folder gets as far as calling the hub (which is not there)
    code = main(["call", "camera.front_door", "get_frame", "-o", str(tmp_path / "f.jpg"),
                 *nowhere()])
    assert code == 1
    err = capsys.readouterr().err
    assert "hub not reachable" in err and "Traceback" not in err


def test_config_check_takes_the_directory_or_its_configuration_yaml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_dir = write_config(tmp_path)
    config_file = config_dir / "configuration.yaml"
    assert main(["config", "check", str(config_file)]) == 0
    assert capsys.readouterr().out == f"{config_file}: configuration is valid\n"
    other = config_dir / "devices.yaml"
    other.write_text("[]\n")
    assert main(["config", "check", str(other)]) == 2
    assert capsys.readouterr().err == (
        f"atmosphere: configuration error: {other} is a file: give the configuration directory, the one that holds"
        " configuration.yaml (its files are included from there)\n"
    )
    assert main(["config", "check", str(tmp_path / "nothing")]) == 2
    assert f"the configuration directory {tmp_path / 'nothing'} does not exist" in (
        capsys.readouterr().err)


async def test_capabilities_remove_takes_away_a_leftover_and_explains_a_refusal(
    tmp_path: Path, mosquitto: Mosquitto, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_hub(tmp_path, mosquitto):
        pass  # saved as the hub stops: leftovers at the next start
    async with Hub(hub_config(tmp_path, mosquitto.host, mosquitto.port)) as hub:
        hub.registry.add(TEST_SENSOR)  # its provider is back
        async with serving(create_app(hub)) as url:
            options = ["--url", url, "--token", hub.api_token]

            def cli(*args: str) -> int:
                return main(["capabilities", *args, *options])

            assert await asyncio.to_thread(cli, "remove", TEST_LIGHT.id) == 0
            assert capsys.readouterr().out == f"removed {TEST_LIGHT.id}\n"
            assert TEST_LIGHT.id not in hub.registry

            assert await asyncio.to_thread(cli, "remove", TEST_SENSOR.id) == 1
            assert capsys.readouterr().err.startswith(
                f"atmosphere: {TEST_SENSOR.id} is provided by a provider running on this hub,"
                " which would register it again:"
            )
            assert await asyncio.to_thread(cli, "remove") == 2
            assert "which one? Give its id" in capsys.readouterr().err
            assert await asyncio.to_thread(cli, "list") == 0
            listing = capsys.readouterr().out
            assert TEST_SENSOR.id in listing and TEST_LIGHT.id not in listing
