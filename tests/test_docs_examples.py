"""Every example configuration under config/ and every YAML snippet in docs/ is checked.

A snippet is checked by what it is, told by its first key:

- a list, or a mapping with ``node:``: a capability file, read by the capability loader;
- keys of configuration.yaml (``mqtt:``, ``capabilities:``...): a configuration, checked by
  `check_config` as ``atmosphere config check`` does (integration sections included);
- the name of an integration: that integration's section, checked under ``integrations:``.

The snippets run in a directory with what they refer to: ``devices.yaml``, ``devices/``,
``secrets.yaml`` with the secrets the docs use, and the environment variables they read.
A snippet that is deliberately partial or wrong is marked in the markdown, right before
it, with ``<!-- not checked: why -->``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub.capfile import load_capability_file
from hub.config import check_config
from hub.config.schema import TOP_LEVEL
from hub.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "config"
_BLOCK = re.compile(r"^```ya?ml[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
_NOT_CHECKED = re.compile(r"<!--\s*not checked:\s*\S.*?-->\s*$", re.DOTALL)
_FIRST_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):")
SECRETS = "mqtt_password: correct-horse-battery-staple\nporch_camera: secret\n"
ENV = {"MQTT_HOST": "localhost", "MQTT_PORT": "1883"}


@dataclass(frozen=True)
class Snippet:
    file: Path
    line: int
    text: str
    skipped: bool

    @property
    def where(self) -> str:
        return f"{self.file.relative_to(ROOT)}:{self.line}"


def snippets() -> Iterator[Snippet]:
    for path in sorted(DOCS.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            before = text[: match.start()].rstrip("\n")
            line = text.count("\n", 0, match.start()) + 2  # the snippet's first line
            yield Snippet(path, line, match.group(1), bool(_NOT_CHECKED.search(before)))


ALL = list(snippets())


# An item of an automation list, not of a capability list.
_AUTOMATION_ITEM = re.compile(r"^  (triggers?|actions?|use_blueprint):", re.MULTILINE)


def first_key(text: str) -> str:
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith("- "):
            return "-"
        match = _FIRST_KEY.match(line)
        return match.group(1) if match else ""
    return ""


def integration_names() -> set[str]:
    return {p.name for p in (ROOT / "integrations").iterdir() if (p / "__init__.py").is_file()}


def check_snippet(snippet: Snippet, workdir: Path) -> list[str]:
    """The problems of one snippet, checked as what it is."""
    (workdir / "secrets.yaml").write_text(SECRETS)
    (workdir / "devices.yaml").write_text("[]\n")
    (workdir / "devices").mkdir(exist_ok=True)
    (workdir / "automations.yaml").write_text("[]\n")
    key = first_key(snippet.text)
    if key == "-" and _AUTOMATION_ITEM.search(snippet.text):
        # a list of automations, as automations.yaml holds them
        (workdir / "automations.yaml").write_text(snippet.text)
        (workdir / "configuration.yaml").write_text("automation: !include automations.yaml\n")
        return check_config(workdir, env=ENV)
    if key in ("-", "node"):
        path = workdir / "capabilities.yaml"
        path.write_text(snippet.text)
        try:
            load_capability_file(path)
        except ConfigError as exc:
            return [str(exc)]
        return []
    if key in TOP_LEVEL:
        document = snippet.text
    elif key in integration_names():
        document = "integrations:\n" + "".join(
            f"  {line}\n" if line.strip() else "\n" for line in snippet.text.splitlines()
        )
    else:
        problem = (
            f"first key {key!r} is neither a configuration key nor an integration nor a "
            "capability list: make it one, or mark it <!-- not checked: why -->"
        )
        return [problem]
    (workdir / "configuration.yaml").write_text(document)
    return check_config(workdir, env=ENV)


def test_the_docs_have_yaml_snippets_and_few_are_left_unchecked() -> None:
    assert len(ALL) >= 15
    skipped = [s.where for s in ALL if s.skipped]
    assert len(skipped) <= 3, f"too many snippets marked 'not checked': {skipped}"


@pytest.mark.parametrize("snippet", [s for s in ALL if not s.skipped], ids=lambda s: s.where)
def test_a_yaml_snippet_in_the_docs_is_valid(snippet: Snippet, tmp_path: Path) -> None:
    problems = check_snippet(snippet, tmp_path)
    assert problems == [], f"{snippet.where}: " + "\n".join(problems)


@pytest.mark.parametrize(
    "directory",
    [EXAMPLES, *sorted(p for p in (EXAMPLES / "examples").iterdir()
                       if (p / "configuration.yaml").is_file())],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_an_example_configuration_passes_its_own_check(directory: Path) -> None:
    assert check_config(directory, env=ENV) == []


def test_every_example_directory_is_a_configuration_or_says_what_else_it_is() -> None:
    readme = (EXAMPLES / "examples" / "README.md").read_text()
    for path in (EXAMPLES / "examples").iterdir():
        if path.is_dir() and not (path / "configuration.yaml").is_file():
            assert f"`{path.name}/` | not a configuration" in readme, path


def test_a_wrong_snippet_is_reported_with_its_file_and_line(tmp_path: Path) -> None:
    wrong = Snippet(DOCS / "configuration.md", 7, "mqtt:\n  hots: broker\n", False)
    problems = check_snippet(wrong, tmp_path)
    assert problems == [
        "configuration.yaml:2:3: mqtt: unknown key 'hots'; did you mean 'host'?"
    ]
    fragment = Snippet(DOCS / "integrations/demo.md", 7, "demo:\n  devices: false\n", False)
    assert "integrations.demo: unknown key 'devices'" in check_snippet(fragment, tmp_path)[0]
    capability = Snippet(DOCS / "capabilities.md", 7, "- id: light.x\n  type: lihgt\n", False)
    assert "did you mean 'light'?" in check_snippet(capability, tmp_path)[0]
    unknown = Snippet(DOCS / "capabilities.md", 7, "mqtt_password: x\n", False)
    assert "mark it <!-- not checked: why -->" in check_snippet(unknown, tmp_path)[0]


def test_the_not_checked_marker_needs_a_reason() -> None:
    text = "<!-- not checked: a secrets.yaml -->\n"
    assert _NOT_CHECKED.search(text)
    assert not _NOT_CHECKED.search("<!-- not checked: -->\n")
