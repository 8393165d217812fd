"""hub.inputs: the rules for outside input, one by one (the fuzz suite and the hostile
input tests check them in place, against a real broker)."""

from __future__ import annotations

import json
import re

import pytest

from hub.errors import PayloadError
from hub.inputs import (
    MAX_JSON_DEPTH,
    check_filter,
    check_number,
    check_text,
    check_topic,
    filter_problem,
    is_finite,
    json_depth,
    load_json,
    state_problem,
    text_problem,
    topic_problem,
    value_problem,
)

# -- topics -------------------------------------------------------------------------------------


@pytest.mark.parametrize("topic", [
    "zigbee2mqtt/kitchen/light", "a", "/", "a//b", "$SYS/x", "Küche/Decke", "😀/x",
    "x" * 65_535, "a b", "\u00a0nbsp",
])
def test_topics_a_broker_takes(topic: str) -> None:
    assert topic_problem(topic) is None
    assert filter_problem(topic) is None


@pytest.mark.parametrize(("topic", "problem"), [
    ("", "must not be empty"),
    ("a\x00b", "holds U+0000 at 1, which MQTT brokers refuse"),
    ("a\x01", "holds U+0001 at 1"),
    ("\x1f", "holds U+001F at 0"),
    ("a\x7f", "holds U+007F at 1"),
    ("a\x85", "holds U+0085 at 1"),
    ("a\ud800b", "holds U+D800 at 1, a lone surrogate, which UTF-8 cannot carry"),
    ("a\udfff", "holds U+DFFF at 1, a lone surrogate"),
    ("\ufdd0", "holds U+FDD0 at 0"),
    ("a\ufffe", "holds U+FFFE at 1"),
    ("a\U0001ffff", "holds U+1FFFF at 1"),
    ("a\U0010fffe", "holds U+10FFFE at 1"),
    ("x" * 65_536, "is 65536 bytes long; MQTT allows at most 65535"),
    ("é" * 40_000, "is 80000 bytes long"),
])
def test_topics_a_broker_refuses(topic: str, problem: str) -> None:
    for found in (topic_problem(topic), filter_problem(topic)):
        assert found is not None and found.startswith(problem), found


def test_wildcards_only_in_filters_and_only_as_whole_levels() -> None:
    assert topic_problem("a/+") == ("must not hold a wildcard (+ or #): only subscriptions "
                                    "may use them")
    assert topic_problem("a/#") is not None
    for good in ("+", "#", "a/+/b", "a/#", "+/+/#", "$share/g/a/#", "$share/g/+"):
        assert filter_problem(good) is None, good
    for bad, problem in [("a/#/b", "'#' must be a whole level and the last one"),
                         ("a/b#", "'#' must be a whole level and the last one"),
                         ("a/b+", "'+' must be a whole level"),
                         ("$share/g+/a", "must be $share/<group>/<filter>"),
                         ("$share//a", "must be $share/<group>/<filter>"),
                         ("$share/g", "must be $share/<group>/<filter>")]:
        found = filter_problem(bad)
        assert found is not None and found.startswith(problem), bad


def test_checks_name_where_and_show_the_value_safely() -> None:
    assert check_topic("a/b", "x") == "a/b"
    assert check_filter("a/+", "x") == "a/+"
    with pytest.raises(PayloadError, match=re.escape(
            r"cfg: state_topic: topic 'a\x00': holds U+0000 at 1")):
        check_topic("a\x00", "cfg: state_topic")
    with pytest.raises(PayloadError, match=r"x: expected a topic, got 5"):
        check_filter(5, "x")
    with pytest.raises(PayloadError, match=r"topic 'xxxx.*\.\.\.: is 70000 bytes long"):
        check_topic("x" * 70_000, "t")


# -- text and numbers ------------------------------------------------------------------------------


def test_text_without_nul_or_lone_surrogates() -> None:
    assert text_problem("Küche 😀 \x01") is None  # control characters are fine in a name
    assert text_problem("a\x00") == "holds a NUL character (U+0000) at 1"
    assert text_problem("ab\udc00") == ("holds U+DC00 at 2, a lone surrogate, which is not "
                                         "Unicode text")
    assert check_text("ok", "n") == "ok"
    with pytest.raises(PayloadError, match=r"name: 'a\\x00' holds a NUL"):
        check_text("a\x00", "name")
    with pytest.raises(PayloadError, match="name: expected text, got int"):
        check_text(1, "name")


def test_finite_numbers() -> None:
    assert is_finite(1) and is_finite(-0.0) and is_finite(1.5e308) and is_finite(10**400)
    for value in (float("nan"), float("inf"), float("-inf"), True, "1", None):
        assert not is_finite(value), value
    assert check_number(3, "x") == 3.0
    with pytest.raises(PayloadError, match="x: expected a finite number, got nan"):
        check_number(float("nan"), "x")
    with pytest.raises(PayloadError, match="x: expected a number, got True"):
        check_number(True, "x")


def test_values_for_the_store_and_the_api() -> None:
    assert value_problem({"a": [1, "é", {"b": None}], "c": (2.5,)}) is None
    assert value_problem({"a": [1, {"b": float("nan")}]}) == "a[1].b: nan is not a finite number"
    assert value_problem(float("inf")) == ": inf is not a finite number"
    assert value_problem(["\ud800"], "v") == ("v[0]: text holds U+D800, a lone surrogate, "
                                              "which is not Unicode text")
    assert value_problem({"\udc00": 1}) is not None
    assert state_problem({"state": "on", "brightness": 200, "x": None, "ok": True}) is None
    assert state_problem({"t": float("-inf")}) == "t: -inf is not a finite number"
    assert state_problem({"color": {"x": float("nan")}}) == "color.x: nan is not a finite number"
    assert state_problem({"name": "a\ud800"}) is not None


# -- JSON ---------------------------------------------------------------------------------------


def test_json_reads_what_json_is() -> None:
    assert load_json(b'{"a": [1, 2.5, "\\ud83d\\ude00"]}') == {"a": [1, 2.5, "😀"]}
    assert load_json("  [1]\n") == [1]
    assert load_json(b"9" * 4300) == int("9" * 4300)
    assert load_json(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH) is not None
    assert load_json(b'"[[[[' + b"[" * 100 + b'"') == "[[[[" + "[" * 100  # text is not depth


@pytest.mark.parametrize(("data", "message"), [
    (b"\xff", "t: payload is not UTF-8 (bad byte at 0)"),
    (b"\xed\xa0\x80", "t: payload is not UTF-8 (bad byte at 0)"),  # a surrogate, encoded
    (b"{x", "t: payload is not JSON: Expecting property name enclosed in double quotes"),
    (b"", "t: payload is not JSON: Expecting value"),
    (b"1 2", "t: payload is not JSON: Extra data"),
    (b"[" * 10_000 + b"]" * 10_000, "t: payload is nested at least 4096 levels deep; at most 64"),
    (b'{"a":' * 65 + b"1" + b"}" * 65, "t: payload is nested 65 levels deep"),
    (b"[" * 100_000, "t: payload is nested at least 4096 levels deep"),
    (b"9" * 5001, "t: payload holds an integer of more than 4300 digits"),
    (b"NaN", "t: payload: NaN is not a finite number"),
    (b'{"a": Infinity}', "t: a: Infinity is not a finite number"),
    (b'{"a": [1, -Infinity]}', "t: a[1]: -Infinity is not a finite number"),
    (b'{"a": {"b": 1e999}}', "t: a.b: 1e999 is not a finite number"),
    (b"1" * 400 + b".5", "t: payload: 111"),
    (b'"\\ud800"', "t: payload: text holds U+D800, a lone surrogate"),
    (b'{"k": ["\\udfff"]}', "t: k[0]: text holds U+DFFF, a lone surrogate"),
    (b'{"\\ud800": 1}', "t: the key '\\ud800' holds a lone surrogate"),
])
def test_json_refuses_with_a_message_that_says_what(data: bytes, message: str) -> None:
    with pytest.raises(PayloadError) as caught:
        load_json(data, "t")
    assert str(caught.value).startswith(message), str(caught.value)


def test_json_size_and_subject() -> None:
    with pytest.raises(PayloadError, match="^body of 11 bytes is over the limit of 10 bytes$"):
        load_json(b"[" + b"1," * 4 + b"1]", subject="body", max_bytes=10)
    with pytest.raises(PayloadError, match="^envelope header is nested 3 levels deep; at most 2"):
        load_json(b"[[[]]]", subject="envelope header", max_depth=2)


def test_json_drop_keeps_the_good_members_and_says_what_went() -> None:
    dropped: list[str] = []
    value = load_json(b'{"t": NaN, "h": 41, "p": [1e999], "\\ud800": 1, "s": "\\udc00",'
                      b' "ok": "\\ud83d\\ude00"}', "t", bad="drop", dropped=dropped)
    assert value == {"h": 41, "ok": "😀"}
    assert dropped == [
        "t: NaN is not a finite number",
        "p[0]: 1e999 is not a finite number",
        "the key '\\ud800' holds a lone surrogate, which is not Unicode text",
        "s: text holds U+DC00, a lone surrogate, which is not Unicode text",
    ]
    with pytest.raises(PayloadError, match="t: \\[0\\]: NaN is not a finite number"):
        load_json(b"[NaN]", "t", bad="drop", dropped=dropped)  # no members to drop


def test_json_keep_hands_every_part_to_the_caller() -> None:
    value = load_json(b'[{"a": NaN}, {"b": 1}, "\\ud800"]', bad="keep")
    assert [value_problem(item, f"[{i}]") for i, item in enumerate(value)] == [
        "[0].a: NaN is not a finite number", None,
        "[2]: text holds U+D800, a lone surrogate, which is not Unicode text"]
    json.dumps(value[1], allow_nan=False)


def test_json_depth_counts_brackets_outside_strings() -> None:
    assert json_depth('{"a": [1, {"b": "[[[{{{\\"]]]"}]}') == 3
    assert json_depth("[]") == 1 and json_depth("1") == 0
    assert json_depth("[" * 500_000) == 500_000  # no recursion, whatever the depth
