"""Every render within its budget: template bombs end with `BudgetExceeded` naming the
template and the budget they went over; what Home Assistant templates really do still
works."""

from __future__ import annotations

from itertools import count
from typing import Any

import pytest

from hub.errors import PayloadError
from hub.templates import Budget, BudgetExceeded, Templates

STILL = 0.0
BIG = "{% set x = 'a' * 200000 %}"


@pytest.fixture
def templates() -> Templates:
    # a clock that never moves: these tests are about operations and sizes, deterministic
    return Templates(timer=lambda: STILL)


@pytest.mark.parametrize(("source", "budget", "message"), [
    # loops: even an empty nested loop stops
    ("{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
     "operations", "over the budget of 10000 operations"),
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
     "operations", "range() of 100000 items is over the budget of 10000 operations"),
    ("{% for i in range(9999) %}{% for j in range(9999) if false %}{% endfor %}{% endfor %}",
     "operations", "over the budget of 10000 operations"),
    (("{% for i in range(9999) recursive %}{{ loop(range(9999)) if loop.depth < 3 }}"
     "{% endfor %}"), "operations", "over the budget of 10000 operations"),
    ("{{ range(10**9)|list|length }}", "operations", "range() of 1000000000 items"),
    ("{{ lipsum(100000) }}", "operations", "over the budget of 10000 operations"),
    # recursion
    ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "depth",
     "calls nested too deeply"),
    (("{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
     "{{ f(40) }}"), "operations", "over the budget of 10000 operations"),
    # sizes: refused before they are made
    ("{{ 'a' * 10**9 }}", "size",
     ("str * 1000000000 would make 1000000000 characters or items, over the size budget "
     "of 262144")),
    ("{{ [0] * 10**9 }}", "size", "list * 1000000000 would make 1000000000"),
    ("{{ 10 ** (10 ** 8) }}", "size", "'**' would make a number of ~400000000 bits"),
    ("{{ '{:>500000000}'.format(1) }}", "size", "format spec '>500000000', over the size"),
    ("{{ '{0:{1}}'.format(1, 10**9) }}", "size", "format spec '1000000000'"),
    ("{{ '%*d' % (10**9, 1) }}", "size", "'%' formatting would make 1000000015"),
    ("{{ '%0999999999d' % 1 }}", "size", "'%' formatting would make"),
    ("{{ '%s'|format('a') ~ '%099999999d'|format(1) }}", "size", "'%' formatting"),
    ("{{ 'a'|center(10**9) }}", "size", "center(1000000000) would make"),
    ("{{ 'a'.ljust(10**9) }}", "size", "ljust(1000000000) would make"),
    ("{{ (1).to_bytes(10**9, 'big') }}", "size", "to_bytes(1000000000)"),
    ("{{ ('\t' * 1000).expandtabs(100000) }}", "size", "expandtabs(100000)"),
    ("{{ ('a\n' * 100000)|indent(1000) }}", "size", "indent(1000) would make"),
    ("{{ [1]|batch(10**9, 0)|list|length }}", "size", "batch(1000000000)"),
    ("{{ [1]|slice(10**9)|list|length }}", "size", "slice(1000000000)"),
    # doubling, joining, printing what a list holds many times
    (("{% set ns = namespace(x='ab') %}{% for i in range(40) %}{% set ns.x = ns.x ~ ns.x %}"
     "{% endfor %}{{ ns.x|length }}"), "size", "'~' would make 524288 characters"),
    (("{% set ns = namespace(x=['a']) %}{% for i in range(40) %}{% set ns.x = ns.x + ns.x %}"
     "{% endfor %}{{ ns.x|length }}"), "size", "+ would make 524288"),
    (BIG + "{{ [x, x, x, x, x, x, x, x]|join }}", "size", "join would make 400000"),
    (BIG + "{{ ([x] * 8)|join(', ') }}", "size", "join would make"),
    (BIG + "{{ [x] * 1000 }}", "size", "printing would make"),
    (BIG + "{{ ([x] * 1000)|tojson }}", "size", "tojson would make"),
    (BIG + "{{ [x] * 1000 ~ '' }}", "size", "'~' would make"),
    (BIG + "{{ '%s%s%s%s%s' % (x, x, x, x, x) }}", "size", "'%' formatting would make"),
    (BIG + "{{ '{0}{0}{0}{0}{0}{0}'.format(x) }}", "size", "str.format would make"),
    (BIG + "{{ x|replace('a', 'aaaa') }}", "size", "replace would make 800000"),
    (BIG + "{{ x.replace('a', 'aaaa') }}", "size", "replace would make 800000"),
    (BIG + "{{ '-'.join([x, x]) }}", "size", "join would make"),
    ("{{ range(10000)|map('center', 200000)|list|length }}", "operations",
     "over the budget of 10000 operations"),
    # output and buffers
    ("{% for i in range(10000) %}{{ 'x' * 100 }}{% endfor %}", "size",
     "output of more than 262144 characters"),
    ("{% macro m() %}{% for i in range(1000) %}" + "a" * 1000 + "{% endfor %}{% endmacro %}"
     "{{ m()|length }}", "size", "a block of 263000 characters"),
    ("{% set y %}{% for i in range(1000) %}" + "a" * 1000 + "{% endfor %}{% endset %}"
     "{{ y|length }}", "size", "a block of 263000 characters"),
])
def test_bombs_end_within_their_budget_naming_template_and_budget(
    templates: Templates, source: str, budget: str, message: str
) -> None:
    with pytest.raises(BudgetExceeded) as caught:
        templates.render(source, {})
    assert caught.value.budget == budget
    assert str(caught.value).startswith("template ")
    assert message in str(caught.value)
    assert isinstance(caught.value, PayloadError)  # callers count it as bad input


def test_time_budget_is_checked_inside_the_render() -> None:
    ticks = count()
    templates = Templates(timer=lambda: next(ticks) * 0.001)  # 1 ms per reading
    source = "{% for i in range(10) %}{% for j in range(1000) %}{% endfor %}{% endfor %}"
    with pytest.raises(BudgetExceeded, match=r"over the time budget of 5 ms") as caught:
        templates.render(source)
    assert caught.value.budget == "time"
    assert 2 < next(ticks) < 10  # stopped at the first readings past the deadline


def test_budget_is_configurable() -> None:
    templates = Templates(budget=Budget(operations=50, size=10), timer=lambda: STILL)
    assert templates.render("{% for i in range(20) %}{% endfor %}ok") == "ok"
    with pytest.raises(BudgetExceeded, match="over the budget of 50 operations"):
        templates.render("{% for i in range(40) %}{% set s = i|string %}{% endfor %}")
    with pytest.raises(BudgetExceeded, match="output of more than 10 characters"):
        templates.render("{{ 'a' * 5 }}{{ 'b' * 6 }}")
    with pytest.raises(ValueError, match="must be positive"):
        Budget(time=0)


def test_a_long_source_is_refused_before_compiling() -> None:
    templates = Templates(budget=Budget(source_size=100))
    with pytest.raises(BudgetExceeded, match=r"101 characters, over the limit of 100") as caught:
        templates.compile("x" * 101)
    assert caught.value.budget == "source"
    assert templates.compiled == 0


def test_a_deeply_nested_source_is_a_payload_error(templates: Templates) -> None:
    with pytest.raises(PayloadError, match="nested too deeply"):
        templates.compile("{{" + "(" * 3000 + "1" + ")" * 3000 + "}}")


def test_constant_bombs_are_not_folded_at_compile_time(templates: Templates) -> None:
    template = templates.compile("{{ 'a'|center(1000000000) }}")  # compiles quickly
    with pytest.raises(BudgetExceeded, match="center"):
        template.render({})


def test_the_next_render_starts_with_a_fresh_budget(templates: Templates) -> None:
    with pytest.raises(BudgetExceeded):
        templates.render("{% for i in range(9999) %}{% for j in range(9) %}{% endfor %}"
                         "{% endfor %}")
    assert templates.render("{% for i in range(9000) %}{% endfor %}done") == "done"


DATA: dict[str, Any] = {
    "value": "21.5,40",
    "value_json": {"temperature": 21.46, "state": "ON", "list": [3, 1, 2],
                   "attrs": {"rssi": -60, "linkquality": 120}, "name": "kitchen"},
}


@pytest.mark.parametrize(("source", "expected"), [
    ("{{ (value_json.temperature * 1.8 + 32) | round(1) }}", "70.6"),
    ("{{ '%.1f' % value_json.temperature }}", "21.5"),
    ("{{ '%s: %d' % (value_json.name, value_json.attrs.rssi) }}", "kitchen: -60"),
    ("{{ '{:.1f}'.format(value_json.temperature) }}", "21.5"),
    ("{{ '{:>6}|{:<3}'.format(value_json.state, 1) }}", "    ON|1  "),
    ("{{ value.split(',')[1] | int + 2 }}", "42"),
    ("{{ value_json.list | sort | join(', ') }}", "1, 2, 3"),
    ("{{ value_json.list | sum }} {{ [[1], [2]] | sum(start=[]) }}", "6 [1, 2]"),
    ("{{ value_json.attrs | tojson }}", '{"linkquality": 120, "rssi": -60}'),
    ("{{ value_json.attrs | to_json }}", '{"rssi": -60, "linkquality": 120}'),
    ("{{ {'brightness': 200, 'state': value_json.state | lower} | tojson }}",
     '{"brightness": 200, "state": "on"}'),
    ("{% for k, v in value_json.attrs.items() %}{{ k }}={{ v }};{% endfor %}",
     "rssi=-60;linkquality=120;"),
    (("{% set ns = namespace(total=0) %}{% for i in value_json.list %}"
     "{% set ns.total = ns.total + i %}{% endfor %}{{ ns.total }}"), "6"),
    ("{% for i in range(3) if i != 1 %}{{ loop.index }}{% endfor %}", "12"),
    ("{% macro pct(v) %}{{ (v / 254 * 100) | round }}{% endmacro %}{{ pct(127) }}", "50"),
    ("{{ value_json.name | replace('kit', 'Kit') | center(11) }}", "  Kitchen  "),
    ("{{ value_json.name ~ '_' ~ value_json.list[0] }}", "kitchen_3"),
    ("{{ value_json.state.ljust(4, '.') }}{{ 'x' * 3 }}{{ 2 ** 10 }}", "ON..xxx1024"),
    ("{{ value_json.list | map('string') | join }}", "312"),
    ("{{ value_json.list | batch(2) | list }}", "[[3, 1], [2]]"),
    ("{{ (lipsum(1, false, 3, 4) | wordcount) in (3, 4) }}", "True"),
    ("{% filter upper %}{{ value_json.name }}{% endfilter %}", "KITCHEN"),
])
def test_what_home_assistant_templates_do_still_works(templates: Templates, source: str,
                                                      expected: str) -> None:
    assert templates.render(source, DATA) == expected


@pytest.mark.parametrize("source", [
    "{{ (range(10000)|list * 20) | sort | length }}",
    "{{ (range(10000)|list * 20) | unique | list | length }}",
])
def test_sorting_is_charged_before_it_runs(templates: Templates, source: str) -> None:
    with pytest.raises(BudgetExceeded, match="over the budget of 10000 operations"):
        templates.render(source)


def test_sorting_what_devices_send_still_works(templates: Templates) -> None:
    data = {"value_json": {"list": [3, 1, 2], "map": {"b": 1, "a": 2}}}
    assert templates.render("{{ value_json.list | sort | join }}{{ value_json.list | unique "
                            "| list | length }}{{ value_json.map | dictsort | first }}"
                            "{{ value_json.list | sort(reverse=true) | first }}", data) \
        == "1233('a', 2)3"
