"""Values that remember where they were written, and the problems found in them.

Every mapping, list and scalar read from a configuration file is a `Located`: its `value`
plus the `Mark` (``file:line:column``, 1-based) where it starts, the `Mark` of the key that
holds it, and its `path` from the document root (``mqtt.port``, ``capabilities[2].id``).
Validation code reports problems against a node, so every message says where to look.

Equality compares values only: two configurations that say the same thing are equal
wherever they were written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from hub.errors import ConfigError

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Mark:
    """A place in a file: 1-based line and column; line 0 when only the file is known."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


NOWHERE = Mark("<built-in>")


@dataclass(frozen=True, slots=True)
class Tagged:
    """A scalar with a tag the loader was asked to keep (e.g. a blueprint's ``!input``)."""

    tag: str
    value: str


@dataclass(frozen=True, slots=True)
class Located:
    """A YAML value with its position.

    `value` is a read-only mapping of `str` to `Located`, a tuple of `Located`, or a scalar
    (str, int, float, bool, None, or `Tagged`).
    """

    value: Any
    mark: Mark = field(default=NOWHERE, compare=False)
    path: str = field(default="", compare=False)
    key_mark: Mark | None = field(default=None, compare=False)
    """Where the key that holds this value is written; None for list items and roots."""
    secret: str | None = field(default=None, compare=False)
    """The secret's name when the value came from ``!secret``: messages never show it."""

    @property
    def where(self) -> str:
        return str(self.mark)

    @property
    def key_where(self) -> str:
        return str(self.key_mark or self.mark)

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.value, Mapping)

    @property
    def is_sequence(self) -> bool:
        return isinstance(self.value, tuple)

    @property
    def is_null(self) -> bool:
        return self.value is None

    def __getitem__(self, key: str | int) -> Located:
        if isinstance(key, int):
            if not isinstance(self.value, tuple):
                raise TypeError(f"{self.path or 'value'} is not a list")
            item: Located = self.value[key]
            return item
        if not isinstance(self.value, Mapping):
            raise TypeError(f"{self.path or 'value'} is not a mapping")
        child: Located = self.value[key]
        return child

    def get(self, key: str) -> Located | None:
        if isinstance(self.value, Mapping):
            child: Located | None = self.value.get(key)
            return child
        return None

    def __contains__(self, key: object) -> bool:
        return isinstance(self.value, Mapping) and key in self.value

    def __iter__(self) -> Iterator[Any]:
        """Keys of a mapping, items of a list; nothing for a scalar."""
        if isinstance(self.value, (Mapping, tuple)):
            return iter(self.value)
        return iter(())

    def __len__(self) -> int:
        return len(self.value) if isinstance(self.value, (Mapping, tuple)) else 0

    def __bool__(self) -> bool:
        # A node is always something, even an empty list or a null: `if node:` must not
        # silently skip it. Test `is_null` or `len()` for emptiness.
        return True

    def keys(self) -> list[str]:
        return list(self.value) if isinstance(self.value, Mapping) else []

    def items(self) -> list[tuple[str, Located]]:
        return list(self.value.items()) if isinstance(self.value, Mapping) else []

    def where_of(self, key: str) -> str:
        """Where `key` of this mapping is written (its key), or this node's place."""
        child = self.get(key)
        return child.key_where if child is not None else self.where

    def plain(self) -> Any:
        """The value as plain data: dicts, lists and scalars, positions dropped."""
        if isinstance(self.value, Mapping):
            return {key: child.plain() for key, child in self.value.items()}
        if isinstance(self.value, tuple):
            return [child.plain() for child in self.value]
        return self.value

    def describe(self) -> str:
        """The value as a message shows it: ``'abc'``, ``42``, ``a list``; secrets hidden."""
        if self.secret is not None:
            return f"the value of !secret {self.secret}"
        return describe_value(self.value)

    def error(self, message: str, *, at_key: bool = False) -> ConfigError:
        """A ConfigError about this node: ``file:line:col: path: message``."""
        where = self.key_where if at_key else self.where
        return ConfigError(f"{self.path}: {message}" if self.path else message, where)


def describe_value(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (tuple, list)):
        return "a list"
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Tagged):
        return f"{value.tag} {value.value}"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return repr(text)
    return str(value)


def child_path(path: str, key: str | int) -> str:
    """``mqtt`` + ``port`` -> ``mqtt.port``; ``capabilities`` + 2 -> ``capabilities[2]``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    part = key if _PLAIN_KEY.match(key) else f"[{key!r}]"
    if not path:
        return part
    return f"{path}{part}" if part.startswith("[") else f"{path}.{part}"


def located(value: Any, *, mark: Mark = NOWHERE, path: str = "") -> Located:
    """Wrap plain data (dicts, lists, scalars) as a `Located` tree, all at `mark`."""
    if isinstance(value, Located):
        return value
    if isinstance(value, Mapping):
        return Located(
            MappingProxyType(
                {
                    str(k): _with_key(located(v, mark=mark, path=child_path(path, str(k))), mark)
                    for k, v in value.items()
                }
            ),
            mark,
            path,
        )
    if isinstance(value, (list, tuple)):
        return Located(
            tuple(located(v, mark=mark, path=child_path(path, i)) for i, v in enumerate(value)),
            mark,
            path,
        )
    return Located(value, mark, path)


def _with_key(node: Located, key_mark: Mark) -> Located:
    return Located(node.value, node.mark, node.path, key_mark, node.secret)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a configuration, printed as ``file:line:col: path: message``."""

    mark: Mark | None
    path: str
    message: str

    @property
    def where(self) -> str:
        return str(self.mark) if self.mark is not None else ""

    @property
    def text(self) -> str:
        """The message with its path, without the place."""
        return f"{self.path}: {self.message}" if self.path else self.message

    def __str__(self) -> str:
        return f"{self.where}: {self.text}" if self.where else self.text


class Problems:
    """Collects problems so that one pass reports all of them, not only the first.

    They come out in reading order: files in the order their first problem was found, and
    by line and column within a file.
    """

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: list[Problem] = []

    def add(self, node: Located, message: str, *, at_key: bool = False) -> None:
        mark = (node.key_mark or node.mark) if at_key else node.mark
        self._items.append(Problem(mark, node.path, message))

    def add_at(self, mark: Mark | str | None, path: str, message: str) -> None:
        if isinstance(mark, str):
            mark = Mark(mark)
        self._items.append(Problem(mark, path, message))

    def add_error(self, error: ConfigError) -> None:
        """Take over a ConfigError raised by other validation code (e.g. an integration's)."""
        first, *rest = error.message.splitlines() or [""]
        self._items.append(Problem(Mark(error.where) if error.where else None, "", first))
        self._items.extend(Problem(None, "", line) for line in rest)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self._ordered())

    def _ordered(self) -> list[Problem]:
        files: dict[str, int] = {}
        for problem in self._items:
            files.setdefault(problem.mark.file if problem.mark else "", len(files))

        def key(problem: Problem) -> tuple[int, int, int]:
            mark = problem.mark or Mark("")
            return (files[mark.file], mark.line, mark.column)

        return sorted(self._items, key=key)

    def lines(self) -> list[str]:
        return [str(problem) for problem in self._ordered()]

    def error(self) -> ConfigError:
        """One ConfigError: the first problem, then every other one on its own line."""
        if not self._items:
            raise ValueError("no problems to raise")
        first, *rest = self._ordered()
        message = "\n".join([first.text, *(str(problem) for problem in rest)])
        return ConfigError(message, first.where or None)

    def raise_if_any(self) -> None:
        if self._items:
            raise self.error()
