"""MQTT topic filters: validating them and matching topics against many of them.

`TopicTree` keeps filters in a tree of levels, so that matching a topic costs its depth
(and the wildcards met on the way), not the number of filters: a hub subscribes once per
device, hundreds of filters being normal.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from hub.inputs import filter_problem

T = TypeVar("T")


def validate_filter(pattern: str) -> None:
    """Raise ValueError unless `pattern` is a valid MQTT topic filter (the rules are
    `hub.inputs.filter_problem`'s: MQTT 5's, as strict as Mosquitto)."""
    problem = filter_problem(pattern)
    if problem is not None:
        raise ValueError(problem)


def _filter_levels(pattern: str) -> list[str]:
    # `$share/<group>/<filter>` is matched by its filter part
    if pattern.startswith("$share/"):
        return pattern.split("/")[2:]
    return pattern.split("/")


class _Node(Generic[T]):
    __slots__ = ("children", "values")

    def __init__(self) -> None:
        self.children: dict[str, _Node[T]] = {}
        self.values: list[T] = []  # several when `$share/...` filters share a path


class TopicTree(Generic[T]):
    """Topic filters in a tree of levels, so that matching a topic costs its depth (and
    the wildcards on the way), not the number of filters."""

    def __init__(self) -> None:
        self._root: _Node[T] = _Node()
        self._values: dict[str, T] = {}

    def get(self, pattern: str) -> T | None:
        return self._values.get(pattern)

    def values(self) -> list[T]:
        return list(self._values.values())

    def __len__(self) -> int:
        return len(self._values)

    def add(self, pattern: str, value: T) -> None:
        self.remove(pattern)
        node = self._root
        for level in _filter_levels(pattern):
            child = node.children.get(level)
            if child is None:
                child = node.children[level] = _Node()
            node = child
        node.values.append(value)
        self._values[pattern] = value

    def remove(self, pattern: str) -> None:
        if pattern not in self._values:
            return
        value = self._values.pop(pattern)
        path = [self._root]
        levels = _filter_levels(pattern)
        for level in levels:
            path.append(path[-1].children[level])
        path[-1].values = [v for v in path[-1].values if v is not value]
        for depth in range(len(levels), 0, -1):  # prune empty branches
            node = path[depth]
            if node.values or node.children:
                break
            del path[depth - 1].children[levels[depth - 1]]

    def match(self, topic: str) -> list[T]:
        levels = topic.split("/")
        found: list[T] = []
        last = len(levels)
        # topics starting with '$' ($SYS/...) are not matched by a leading wildcard
        wild = not topic.startswith("$")
        stack: list[tuple[_Node[T], int]] = [(self._root, 0)]
        while stack:
            node, depth = stack.pop()
            children = node.children
            if depth > 0 or wild:
                hash_node = children.get("#")
                if hash_node is not None:
                    found.extend(hash_node.values)  # also matches the parent level itself
            if depth == last:
                found.extend(node.values)
                continue
            exact = children.get(levels[depth])
            if exact is not None:
                stack.append((exact, depth + 1))
            if depth > 0 or wild:
                plus = children.get("+")
                if plus is not None:
                    stack.append((plus, depth + 1))
        return found
