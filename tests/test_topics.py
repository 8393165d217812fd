"""Topic filters: validation and matching in the topic tree (no broker needed)."""

from __future__ import annotations

import re

import pytest

from hub.fabric import TopicTree, validate_filter


def test_topic_tree_matches_like_mqtt() -> None:
    tree: TopicTree[str] = TopicTree()
    for pattern in ("a/b", "a/+", "a/#", "#", "+/b", "a/+/c", "$SYS/#", "$share/g/a/b"):
        tree.add(pattern, pattern)
    assert sorted(tree.match("a/b")) == sorted(["a/b", "a/+", "a/#", "#", "+/b", "$share/g/a/b"])
    assert sorted(tree.match("a")) == ["#", "a/#"]  # '#' also matches its parent level
    assert sorted(tree.match("a/x/c")) == ["#", "a/#", "a/+/c"]
    # a leading wildcard never matches a '$' topic
    assert tree.match("$SYS/broker/uptime") == ["$SYS/#"]
    tree.remove("a/+/c")
    tree.remove("a/+/c")  # idempotent
    assert sorted(tree.match("a/x/c")) == ["#", "a/#"]
    assert tree.get("a/+/c") is None
    assert len(tree) == 7


def test_topic_tree_scales_with_depth_not_size() -> None:
    tree: TopicTree[int] = TopicTree()
    for i in range(2000):
        tree.add(f"zigbee2mqtt/device{i}/#", i)
        tree.add(f"frigate/cam{i}/+/snapshot", i)
    assert tree.match("zigbee2mqtt/device1234/set") == [1234]
    assert tree.match("frigate/cam7/person/snapshot") == [7]
    assert tree.match("other/topic") == []


@pytest.mark.parametrize(
    ("pattern", "error"),
    [
        ("", "must not be empty"),
        ("a/#/b", "'#' must be a whole level and the last one"),
        ("a/b#", "'#' must be a whole level and the last one"),
        ("a/b+/c", "'+' must be a whole level"),
    ],
)
def test_invalid_filters_are_refused(pattern: str, error: str) -> None:
    with pytest.raises(ValueError, match=re.escape(error)):
        validate_filter(pattern)


def test_filters_sharing_a_path_are_kept_apart() -> None:
    tree: TopicTree[str] = TopicTree()
    tree.add("a/b", "plain")
    tree.add("$share/g/a/b", "shared")
    tree.add("a/b", "replaced")  # the same filter again replaces its value
    assert sorted(tree.match("a/b")) == ["replaced", "shared"]
    tree.remove("a/b")
    assert tree.match("a/b") == ["shared"]
    assert tree.values() == ["shared"]
    tree.remove("$share/g/a/b")
    assert tree.match("a/b") == []
    assert len(tree) == 0
