"""Reading YAML files into `Located` trees, with ``!secret``, ``!include`` and ``!env_var``.

PyYAML's safe loader scans, parses and composes the document into nodes (which carry their
positions); turning nodes into values is done here, so that every value keeps its place and
so that one pass can report every problem instead of stopping at the first.

Tags, as in Home Assistant:

``!secret NAME``
    looked up in ``secrets.yaml`` next to the file, then in each parent directory up to the
    configuration root. The value reports the place of the ``!secret`` that asked for it.
``!include FILE``
    the YAML of another file, relative to the including file; its values report their own
    file. An include loop is an error.
``!include_dir_list``, ``!include_dir_named``, ``!include_dir_merge_list``, ``..._named``
    every ``*.yaml`` below a directory: a list of contents, a mapping by file name, one
    joined list, one joined mapping.
``!env_var NAME [DEFAULT]``
    an environment variable, read as a YAML scalar (``8883`` is a number, ``true`` a flag).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from hub.located.syntax import syntax_message
from hub.located.values import Located, Mark, Problems, Tagged, child_path

DIR_TAGS = (
    "!include_dir_list", "!include_dir_merge_list", "!include_dir_merge_named", "!include_dir_named",
)  # fmt: skip
TAGS = ("!env_var", "!include", *DIR_TAGS, "!secret")
SECRETS_FILE = "secrets.yaml"

_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader; we use it to compose nodes and to build plain scalars only."""


# libyaml composes about ten times faster; when a document does not parse, the pure-Python
# parser reads it again, so that error messages are the same with or without libyaml.
_FAST_LOADER: type[yaml.CSafeLoader] | None = getattr(yaml, "CSafeLoader", None)
_AnyLoader = _Loader | yaml.CSafeLoader


@dataclass(slots=True)
class _Context:
    """What one load shares: the root, the environment, problems, and secrets read so far."""

    root: Path
    env: Mapping[str, str]
    problems: Problems
    keep_tags: frozenset[str]
    secrets: dict[Path, Located | None] = field(default_factory=dict)

    def display(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def load_yaml(
    path: Path,
    *,
    root: Path | None = None,
    env: Mapping[str, str] | None = None,
    keep_tags: Collection[str] = (),
    problems: Problems | None = None,
) -> Located:
    """Read one YAML file (and what it includes) into a `Located` tree.

    `root` is the configuration directory: file names in messages are relative to it and
    ``!secret`` looks no higher. With `problems`, problems are collected there and the
    result has None where a value could not be read; without it, they raise ConfigError.
    """
    path = path.absolute()
    context = _Context(
        root=(root or path.parent).absolute(),
        env=os.environ if env is None else env,
        problems=problems if problems is not None else Problems(),
        keep_tags=frozenset(keep_tags),
    )
    result = _load_file(context, path, path="", key_mark=None, stack=())
    if problems is None:
        context.problems.raise_if_any()
    return result


def parse_yaml(
    text: str,
    *,
    file: str = "<string>",
    base_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    keep_tags: Collection[str] = (),
    problems: Problems | None = None,
) -> Located:
    """Read YAML text; ``!include`` and ``!secret`` resolve against `base_dir` (default cwd)."""
    base = (base_dir or Path.cwd()).absolute()
    context = _Context(
        root=base,
        env=os.environ if env is None else env,
        problems=problems if problems is not None else Problems(),
        keep_tags=frozenset(keep_tags),
    )
    pseudo = base / file
    result = _parse(context, text, pseudo, file, path="", key_mark=None, stack=())
    if problems is None:
        context.problems.raise_if_any()
    return result


def _load_file(
    context: _Context,
    file: Path,
    *,
    path: str,
    key_mark: Mark | None,
    stack: tuple[Path, ...],
) -> Located:
    name = context.display(file)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        context.problems.add_at(name, path, f"cannot read the file: not UTF-8 text ({exc.reason})")
        return Located(None, Mark(name), path, key_mark)
    except OSError as exc:
        context.problems.add_at(name, path, f"cannot read the file: {exc.strerror}")
        return Located(None, Mark(name), path, key_mark)
    return _parse(context, text, file, name, path=path, key_mark=key_mark, stack=stack)


def _parse(
    context: _Context,
    text: str,
    file: Path,
    name: str,
    *,
    path: str,
    key_mark: Mark | None,
    stack: tuple[Path, ...],
) -> Located:
    if _FAST_LOADER is not None:
        fast = _FAST_LOADER(text)
        try:
            node = fast.get_single_node()
        except yaml.YAMLError:
            pass  # read again below, for the pure-Python parser's words
        else:
            return _build(context, fast, node, file, name, path, key_mark, stack)
        finally:
            fast.dispose()
    loader = _Loader(text)
    loader.name = name
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(name, mark.line + 1, mark.column + 1) if mark else Mark(name)
        context.problems.add_at(where, "", syntax_message(exc))
        return Located(None, Mark(name), path, key_mark)
    except yaml.YAMLError as exc:  # ReaderError: a character YAML does not allow
        context.problems.add_at(name, "", f"invalid YAML: {exc}")
        return Located(None, Mark(name), path, key_mark)
    finally:
        loader.dispose()
    return _build(context, loader, node, file, name, path, key_mark, stack)


def _build(
    context: _Context,
    loader: _AnyLoader,
    node: Node | None,
    file: Path,
    name: str,
    path: str,
    key_mark: Mark | None,
    stack: tuple[Path, ...],
) -> Located:
    if node is None:  # an empty file
        return Located(None, Mark(name, 1, 1), path, key_mark)
    builder = _Builder(context, loader, file, name, (*stack, file))
    return builder.build(node, path, key_mark)


class _Builder:
    """Turns the nodes of one file into `Located` values."""

    def __init__(
        self,
        context: _Context,
        loader: _AnyLoader,
        file: Path,
        name: str,
        stack: tuple[Path, ...],
    ) -> None:
        self.context = context
        self.loader = loader
        self.file = file
        self.name = name
        self.stack = stack
        self.active: set[int] = set()  # collections being built: guards recursive aliases

    def mark(self, node: Node) -> Mark:
        return Mark(self.name, node.start_mark.line + 1, node.start_mark.column + 1)

    def problem(self, node: Node, path: str, message: str) -> None:
        self.context.problems.add_at(self.mark(node), path, message)

    def build(self, node: Node, path: str, key_mark: Mark | None) -> Located:
        if isinstance(node, ScalarNode):
            return self.scalar(node, path, key_mark)
        if id(node) in self.active:
            self.problem(node, path, "an alias refers to a value that contains it")
            return Located(None, self.mark(node), path, key_mark)
        if node.tag.startswith("!"):
            kind = "a mapping" if isinstance(node, MappingNode) else "a list"
            self.problem(node, path, f"{node.tag} takes a single value, not {kind}")
            return Located(None, self.mark(node), path, key_mark)
        self.active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self.mapping(node, path, key_mark)
            assert isinstance(node, SequenceNode)
            items = tuple(
                self.build(item, child_path(path, i), None) for i, item in enumerate(node.value)
            )
            return Located(items, self.mark(node), path, key_mark)
        finally:
            self.active.discard(id(node))

    def mapping(self, node: MappingNode, path: str, key_mark: Mark | None) -> Located:
        values: dict[str, Located] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, path, "a key must be plain text, not a list or mapping")
                continue
            if key_node.tag.startswith("!"):
                self.problem(key_node, path, f"a key cannot carry a tag ({key_node.tag})")
                continue
            key = str(key_node.value)
            first = values.get(key)
            if first is not None:
                self.problem(key_node, path, f"duplicate key '{key}' (first at {first.key_where})")
                continue
            values[key] = self.build(value_node, child_path(path, key), self.mark(key_node))
        for merge in merges:
            self.merge(merge, values, path)
        return Located(MappingProxyType(values), self.mark(node), path, key_mark)

    def merge(self, node: Node, values: dict[str, Located], path: str) -> None:
        """YAML merge keys (``<<: *defaults``): keys written in the mapping win."""
        sources = node.value if isinstance(node, SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, MappingNode):
                self.problem(source, path, "'<<' merges mappings only")
                continue
            merged = self.build(source, path, None)
            for key, child in merged.items():
                values.setdefault(key, child)

    def scalar(self, node: ScalarNode, path: str, key_mark: Mark | None) -> Located:
        mark = self.mark(node)
        tag = node.tag
        if tag == "!secret":
            return self.secret(node, path, key_mark)
        if tag == "!include":
            return self.include(node, path, key_mark)
        if tag in DIR_TAGS:
            return self.include_dir(node, path, key_mark)
        if tag == "!env_var":
            return self.env_var(node, path, key_mark)
        if tag in self.context.keep_tags:
            return Located(Tagged(tag, str(node.value)), mark, path, key_mark)
        if tag.startswith("!"):
            known = sorted({*TAGS, *self.context.keep_tags})
            close = difflib.get_close_matches(tag, known, n=1)
            hint = f"did you mean {close[0]}?" if close else f"known tags: {', '.join(known)}"
            self.problem(node, path, f"unknown tag {tag}; {hint}")
            return Located(None, mark, path, key_mark)
        try:
            value = self.plain_scalar(node)
        except yaml.YAMLError as exc:  # e.g. !!python/name, refused by the safe loader
            problem = getattr(exc, "problem", None) or str(exc)
            self.problem(node, path, f"cannot read this value: {problem}")
            value = None
        return Located(value, mark, path, key_mark)

    def plain_scalar(self, node: ScalarNode) -> Any:
        # Dates and times stay text: values must survive JSON (store, API, mesh) unchanged.
        if node.tag == _TIMESTAMP_TAG:
            return str(node.value)
        return self.loader.construct_object(node)

    def secret(self, node: ScalarNode, path: str, key_mark: Mark | None) -> Located:
        mark = self.mark(node)
        secret = str(node.value).strip()
        missing = Located(None, mark, path, key_mark, secret or None)
        if not secret:
            self.problem(node, path, "!secret needs the name of a secret")
            return missing
        if self.file.name == SECRETS_FILE:
            self.problem(node, path, f"{SECRETS_FILE} cannot use !secret itself")
            return missing
        searched: list[str] = []
        for directory in self.secret_dirs():
            secrets_path = directory / SECRETS_FILE
            secrets = self.read_secrets(secrets_path)
            if secrets is None:
                continue
            searched.append(self.context.display(secrets_path))
            value = secrets.get(secret)
            if value is not None:
                return _relocate(value, mark, path, key_mark, secret)
        if not searched:
            where = self.context.display(self.file.parent) or "."
            self.problem(
                node,
                path,
                f"secret '{secret}' cannot be looked up: no {SECRETS_FILE} in {where} or a "
                f"parent directory up to the configuration root",
            )
        else:
            self.problem(node, path, f"secret '{secret}' is not defined in {', '.join(searched)}")
        return missing

    def secret_dirs(self) -> list[Path]:
        """The file's directory, then its parents up to the configuration root."""
        directory = self.file.parent
        root = self.context.root
        if directory != root and root not in directory.parents:
            return [directory, root]
        dirs = [directory]
        while directory != root:
            directory = directory.parent
            dirs.append(directory)
        return dirs

    def read_secrets(self, secrets_path: Path) -> Located | None:
        cache = self.context.secrets
        if secrets_path not in cache:
            cache[secrets_path] = None
            if secrets_path.is_file():
                secrets = _load_file(
                    self.context, secrets_path, path="", key_mark=None, stack=self.stack
                )
                if secrets.is_null:
                    secrets = Located(MappingProxyType({}), secrets.mark)
                if not secrets.is_mapping:
                    self.context.problems.add(
                        secrets, f"{SECRETS_FILE} must be a mapping of names to values"
                    )
                    secrets = Located(MappingProxyType({}), secrets.mark)
                cache[secrets_path] = secrets
        return cache[secrets_path]

    def include(self, node: ScalarNode, path: str, key_mark: Mark | None) -> Located:
        mark = self.mark(node)
        name = str(node.value).strip()
        if not name:
            self.problem(node, path, "!include needs a file name")
            return Located(None, mark, path, key_mark)
        target = (self.file.parent / name).absolute()
        if target in self.stack:
            chain = [self.context.display(p) for p in (*self.stack, target)]
            chain = chain[self.stack.index(target) :]
            self.problem(node, path, f"include loop: {' -> '.join(chain)}")
            return Located(None, mark, path, key_mark)
        if not target.is_file():
            self.problem(node, path, f"cannot include '{name}': no such file ({target})")
            return Located(None, mark, path, key_mark)
        return _load_file(self.context, target, path=path, key_mark=key_mark, stack=self.stack)

    def include_dir(self, node: ScalarNode, path: str, key_mark: Mark | None) -> Located:
        """Home Assistant's ``!include_dir_*``: every ``*.yaml`` below a directory, by name.

        ``_list``: one item per file; ``_named``: file name -> content; ``_merge_list``: the
        files' lists joined; ``_merge_named``: the files' mappings joined. Hidden files and
        ``secrets.yaml`` are left out.
        """
        mark, tag = self.mark(node), node.tag
        directory = (self.file.parent / str(node.value).strip()).absolute()
        if not str(node.value).strip() or not directory.is_dir():
            self.problem(node, path, f"{tag} needs a directory; '{node.value}' is none")
            return Located(None, mark, path, key_mark)
        files = sorted(
            f
            for f in directory.rglob("*.yaml")
            if f.name != SECRETS_FILE
            and not any(part.startswith(".") for part in f.relative_to(directory).parts)
        )
        named = tag.endswith("named")
        values: dict[str, Located] = {}
        items: list[Located] = []
        for file in files:
            if file in self.stack:  # the including file itself, in the directory it includes
                continue
            content = _load_file(self.context, file, path=path, key_mark=None, stack=self.stack)
            if named and not tag.startswith("!include_dir_merge"):
                content = _relocate(content, None, child_path(path, file.stem))
                values.setdefault(file.stem, content)
            elif named:
                if not (content.is_mapping or content.is_null):
                    self.context.problems.add(content, f"{tag} needs a mapping in each file")
                for key, child in content.items():
                    first = values.setdefault(key, child)
                    if first is not child:
                        self.context.problems.add(
                            child, f"duplicate key '{key}' (first at {first.key_where})"
                        )
            elif tag == "!include_dir_list":
                items.append(content)
            else:
                items.extend(as_items(content, self.context.problems, tag))
        if named:
            return Located(MappingProxyType(values), mark, path, key_mark)
        renumbered = (_relocate(item, None, child_path(path, i)) for i, item in enumerate(items))
        return Located(tuple(renumbered), mark, path, key_mark)

    def env_var(self, node: ScalarNode, path: str, key_mark: Mark | None) -> Located:
        mark = self.mark(node)
        parts = str(node.value).split(None, 1)
        if not parts:
            self.problem(node, path, "!env_var needs the name of an environment variable")
            return Located(None, mark, path, key_mark)
        name = parts[0]
        text = self.context.env.get(name)
        if text is None:
            if len(parts) < 2:
                self.problem(
                    node,
                    path,
                    f"environment variable {name} is not set and has no default "
                    f"(set it, or write '!env_var {name} DEFAULT')",
                )
                return Located(None, mark, path, key_mark)
            text = parts[1]
        return Located(self.resolve_text(node, text), mark, path, key_mark)

    def resolve_text(self, node: ScalarNode, text: str) -> Any:
        """Read text as an unquoted YAML scalar would be read: numbers, flags, null, text."""
        tag = self.loader.resolve(ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
        return self.plain_scalar(ScalarNode(tag, text, node.start_mark, node.end_mark))


def as_items(content: Located, problems: Problems, tag: str) -> tuple[Located, ...]:
    if content.is_sequence:
        items: tuple[Located, ...] = content.value
        return items
    if not content.is_null:
        problems.add(content, f"{tag} needs a list in each file")
    return ()


def _relocate(
    value: Located,
    mark: Mark | None,
    path: str,
    key_mark: Mark | None = None,
    secret: str | None = None,
) -> Located:
    """`value` at a new path; with `mark`, every node placed there (a secret is shown where
    it was asked for, never in the secrets file); without, each keeps its own place."""
    at = mark or value.mark
    if value.is_mapping:
        inner: Any = MappingProxyType(
            {
                key: _relocate(child, mark, child_path(path, key), mark or child.key_mark, secret)
                for key, child in value.items()
            }
        )
    elif value.is_sequence:
        inner = tuple(
            _relocate(child, mark, child_path(path, i), None, secret)
            for i, child in enumerate(value.value)
        )
    else:
        inner = value.value
    return Located(inner, at, path, key_mark or value.key_mark, secret or value.secret)
