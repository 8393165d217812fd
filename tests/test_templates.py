"""Home Assistant style templates: helpers, sandbox, errors, cache."""

from __future__ import annotations

from typing import Any

import pytest

from hub.errors import PayloadError
from hub.templates import Templates, UndefinedValue

DATA: dict[str, Any] = {
    "value": '{"temperature": "21.56"}',
    "value_json": {"temperature": "21.56", "none": None, "list": [3, 1, 2], "on": "ON"},
}


@pytest.fixture
def templates() -> Templates:
    return Templates()


@pytest.mark.parametrize(("source", "expected"), [
    ("{{ value_json.temperature | float | round(1) }}", "21.6"),
    ("{{ float(value_json.temperature) + 1 }}", "22.56"),
    ("{{ 'warm' | float(0) }}", "0"),
    ("{{ value_json.temperature | int }}", "21"),
    ("{{ int('ff', 0, 16) }}", "255"),
    ("{{ '21.9' | round }}", "22"),
    ("{{ 21.56 | round(1, 'floor') }}", "21.5"),
    ("{{ 21.51 | round(1, 'ceil') }}", "21.6"),
    ("{{ 21.3 | round(0, 'half') }}", "21.5"),
    ("{{ value_json.missing | default(5) }}", "5"),
    ("{{ iif(value_json.none, 'yes', 'no', 'none') }}", "none"),
    ("{{ (value_json.on == 'ON') | iif('on', 'off') }}", "on"),
    ("{{ value | from_json | to_json }}", '{"temperature": "21.56"}'),
    ("{{ value_json.list | max }} {{ min(value_json.list) }}", "3 1"),
    ("{{ value_json.on | lower }}{{ 'x' | upper }}", "onX"),
    ("{{ 'on' | bool }} {{ bool('nope', false) }}", "True False"),
    ("{% if value_json.missing.deeper %}a{% else %}b{% endif %}", "b"),
    ("{{ 'yes' if value_json.missing is defined else 'no' }}", "no"),
])
def test_helpers(templates: Templates, source: str, expected: str) -> None:
    assert templates.render(source, DATA) == expected


@pytest.mark.parametrize(("source", "message"), [
    ("{{ 'warm' | float }}", "float got invalid input 'warm' and no default was given"),
    ("{{ int('x') }}", "int got invalid input 'x' and no default was given"),
    ("{{ 'x' | round }}", "round got invalid input 'x'"),
    ("{{ 1 | round(0, 'sideways') }}", "round: unknown method 'sideways'"),
    ("{{ '{nope' | from_json }}", "from_json got invalid input '{nope'"),
    ("{{ value_json.__class__ }}", "unsafe"),
    ("{{ value_json.list.append(4) }}", "unsafe"),
])
def test_render_errors_are_payload_errors_naming_the_template(
    templates: Templates, source: str, message: str
) -> None:
    with pytest.raises(PayloadError, match=r"^template ('|\").*('|\"): ") as caught:
        templates.render(source, DATA)
    assert message in str(caught.value)
    assert not isinstance(caught.value, UndefinedValue)


@pytest.mark.parametrize("source", [
    "{{ value_json.missing }}",
    "{{ value_json.missing.deeper }}",
    "{{ value_json.missing | is_defined }}",
    "{{ nothing }}",
])
def test_printing_a_missing_value_is_undefined_not_empty(templates: Templates,
                                                         source: str) -> None:
    with pytest.raises(UndefinedValue, match="missing|nothing"):
        templates.render(source, DATA)


def test_syntax_errors_name_the_line(templates: Templates) -> None:
    with pytest.raises(PayloadError, match=r"template '\{\{ x': line 1: unexpected end"):
        templates.compile("{{ x")


def test_sandbox_keeps_data_unchanged(templates: Templates) -> None:
    data = {"value_json": {"list": [1]}}
    with pytest.raises(PayloadError):
        templates.render("{{ value_json.list.append(2) }}", data)
    assert data["value_json"]["list"] == [1]


def test_compiled_templates_are_cached_and_bounded() -> None:
    templates = Templates(cache_size=2)
    first = templates.compile("{{ 1 }}")
    assert templates.compile("{{ 1 }}") is first
    assert templates.compiled == 1
    for i in range(2, 5):
        templates.render(f"{{{{ {i} }}}}")
    assert len(templates) == 2 and templates.compiled == 4
    assert templates.compile("{{ 1 }}") is not first  # dropped, compiled again


def test_long_sources_are_shortened_in_messages(templates: Templates) -> None:
    source = "{{ value_json.missing }}" + " " * 10 + "x" * 100
    with pytest.raises(UndefinedValue) as caught:
        templates.render(source, DATA)
    assert "..." in str(caught.value) and len(str(caught.value)) < 200


def test_from_json_refuses_nesting_that_would_exhaust_the_parser() -> None:
    templates = Templates()
    deep = "[" * 100_000 + "]" * 100_000
    assert templates.render("{{ value | from_json(default='refused') }}", {"value": deep}) == (
        "refused")
    assert templates.render("{{ (value | from_json).a }}", {"value": '{"a": 3}'}) == "3"
