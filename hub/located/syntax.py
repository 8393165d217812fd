"""PyYAML's syntax errors in plain words, with what to do about the common ones."""

from __future__ import annotations

import yaml

# The parser's words for common mistakes, with what to do about them.
_HINTS = (
    ("found character '\\t' that cannot start any token", "YAML indents with spaces, not tabs"),
    (
        "mapping values are not allowed here",
        "check the indentation, or quote a value that contains ': '",
    ),
    ("could not find expected ':'", "a key is missing its ':' or the indentation is off"),
    ("found undefined alias", "an alias (*name) needs an anchor (&name) earlier in the file"),
    ("found unexpected end of stream", "a quote or bracket is not closed"),
)


def syntax_message(exc: yaml.MarkedYAMLError) -> str:
    problem = (exc.problem or "invalid syntax").strip()
    hint = next((h for p, h in _HINTS if problem.startswith(p)), None)
    if (exc.context or "").startswith("expected a single document"):
        return "invalid YAML: the file holds more than one document ('---'); keep one"
    if hint:
        return f"invalid YAML: {problem} ({hint})"
    if exc.context:
        return f"invalid YAML: {problem} ({exc.context})"
    return f"invalid YAML: {problem}"
