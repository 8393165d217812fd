"""Parsing a large JSON message in steps, the event loop's turn between them.

The server's answer to ``start_listening`` carries every node in one message (several MB
at 200 nodes). ``json.loads`` in a worker thread does not help: the C decoder holds the GIL
for the whole text, so the loop stalls just the same. This reads the top-level object member
by member and an array member element by element with the C decoder's ``raw_decode``,
yielding after every `step` characters.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from hub.errors import PayloadError

_SPACE = re.compile(r"[ \t\n\r]*")


def _refuse(token: str) -> Any:
    raise ValueError(f"{token} is not a number JSON allows")


_DECODER = json.JSONDecoder(parse_constant=_refuse)


class _Reader:
    def __init__(self, text: str, where: str) -> None:
        self.text = text
        self.where = where
        self.i = 0

    def space(self) -> str:
        self.i = _SPACE.match(self.text, self.i).end()  # type: ignore[union-attr]
        return self.text[self.i:self.i + 1]

    def expect(self, char: str) -> None:
        if self.space() != char:
            raise PayloadError(f"{self.where}: message is not JSON: expected {char!r} at "
                               f"character {self.i}")
        self.i += 1

    def value(self) -> Any:
        try:
            value, self.i = _DECODER.raw_decode(self.text, self.i)
        except ValueError as exc:  # JSONDecodeError, or a NaN/Infinity refused
            raise PayloadError(f"{self.where}: message is not JSON: {exc} (at character "
                               f"{self.i})") from None
        except RecursionError:
            raise PayloadError(f"{self.where}: message is nested too deeply") from None
        return value


async def parse_in_steps(text: str, where: str, step: int = 64 * 1024) -> Any:
    """The JSON value of `text`; a top-level object's array members are read element by
    element. PayloadError says what is wrong and where."""
    reader = _Reader(text, where)
    if reader.space() != "{":
        return reader.value()
    reader.i += 1
    result: dict[str, Any] = {}
    done = reader.i
    while reader.space() != "}":
        if result:
            reader.expect(",")
            reader.space()
        key = reader.value()
        if not isinstance(key, str):
            raise PayloadError(f"{where}: message is not JSON: a key that is not a string "
                               f"at character {reader.i}")
        reader.expect(":")
        if reader.space() != "[":
            result[key] = reader.value()
            continue
        reader.i += 1
        items: list[Any] = []
        while reader.space() != "]":
            if items:
                reader.expect(",")
            reader.space()
            items.append(reader.value())
            if reader.i - done >= step:
                done = reader.i
                await asyncio.sleep(0)  # the loop's turn: other events, tool calls
        reader.i += 1
        result[key] = items
    reader.i += 1
    if reader.space():
        raise PayloadError(f"{where}: message is not JSON: extra data at character "
                           f"{reader.i}")
    return result
