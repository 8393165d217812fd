"""Reading JPEG frames out of an MJPEG stream (``multipart/x-mixed-replace``).

IP cameras are loose with the multipart format, so the reader takes what they send:

- the boundary comes from the Content-Type (quoted or not); many cameras write it there
  with the two leading dashes already included and then put either two or four dashes on
  the wire, so the delimiter is matched by its text after the dashes, and the dashes of
  the first delimiter line seen are the ones used from then on;
- without a boundary parameter, the first line that starts with ``--`` is the delimiter;
- a part may carry a Content-Length (read exactly that) or not (read up to the next
  delimiter); headers may be missing, and blank lines before them are skipped;
- anything before the first delimiter (the tail of a frame the camera was already
  sending) is skipped, so the first frame returned is always whole;
- parts that say they are not JPEG (some servers interleave text parts) are skipped.

Every size is bounded: preamble, header block and frame.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from hub.errors import PayloadError
from hub.media.jpeg import MAX_FRAME_BYTES, jpeg_problem

_MAX_PREAMBLE = 64 * 1024
_MAX_HEADERS = 16 * 1024
_MAX_SKIPPED_PARTS = 16
_JPEG_TYPES = ("image/jpeg", "image/jpg", "image/pjpeg")
_SOI = b"\xff\xd8"
_EOI = b"\xff\xd9"


def boundary_of(content_type: str) -> str | None:
    """The ``boundary`` parameter of a Content-Type header, unquoted; None if absent."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "boundary":
            value = value.strip().strip('"').strip()
            return value or None
    return None


class MjpegReader:
    """``await reader.next_frame()`` returns the next complete JPEG of the stream.

    `chunks` is the response body as it arrives (any chunking). Raises `PayloadError`
    saying what is wrong when the stream is malformed, a frame is not a JPEG or too
    large, or the stream ends before a whole frame.
    """

    __slots__ = ("_buf", "_chunks", "_core", "_delimiter", "_max_frame", "_pos", "_where",
                 "frames")

    def __init__(
        self,
        chunks: AsyncIterator[bytes],
        content_type: str = "",
        *,
        max_frame_bytes: int = MAX_FRAME_BYTES,
        where: str = "MJPEG stream",
    ) -> None:
        self._chunks = chunks
        boundary = boundary_of(content_type)
        # Matched without its leading dashes: see the module docstring.
        self._core = boundary.lstrip("-").encode("latin-1") if boundary else b""
        self._delimiter = b""
        self._buf = bytearray()
        self._pos = 0
        self._max_frame = max_frame_bytes
        self._where = where
        self.frames = 0
        """Frames returned so far."""

    async def next_frame(self) -> bytes:
        for _ in range(_MAX_SKIPPED_PARTS):
            await self._skip_to_delimiter()
            headers = await self._headers()
            body = await self._body(headers.get("content-length"))
            content_type = headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type and content_type not in _JPEG_TYPES:
                continue  # a text or metadata part: not a frame
            problem = jpeg_problem(body)
            if problem is not None:
                raise PayloadError(f"{self._where}: part {self.frames + 1} is {problem}")
            self.frames += 1
            # drop what is read, once per frame: keeps the buffer from growing forever
            del self._buf[: self._pos]
            self._pos = 0
            return body
        raise PayloadError(
            f"{self._where}: no image/jpeg part among {_MAX_SKIPPED_PARTS} parts in a row"
        )

    # -- reading -------------------------------------------------------------------------

    async def _more(self, what: str) -> None:
        if not await self._more_or_end():
            raise PayloadError(f"{self._where}: the stream ended while waiting for {what}")

    async def _more_or_end(self) -> bool:
        try:
            chunk = await anext(self._chunks)
        except StopAsyncIteration:
            return False
        self._buf += chunk
        return True

    async def _line(self, limit: int, what: str) -> bytes:
        """The next line (without its line break), consumed."""
        start = self._pos
        while True:
            end = self._buf.find(b"\n", start)
            if end >= 0:
                line = bytes(self._buf[self._pos : end]).rstrip(b"\r")
                self._pos = end + 1
                return line
            if len(self._buf) - self._pos > limit:
                raise PayloadError(f"{self._where}: no line break within {limit} bytes of {what}")
            start = len(self._buf)
            await self._more(what)

    async def _skip_to_delimiter(self) -> None:
        if not self._delimiter:
            await self._find_first_delimiter()
            return
        # Between parts: anything up to the next delimiter line is skipped.
        start = self._pos
        while True:
            found = self._buf.find(self._delimiter, start)
            if found >= 0:
                self._pos = found
                break
            if len(self._buf) - self._pos > self._max_frame:
                raise PayloadError(
                    f"{self._where}: no boundary {self._delimiter.decode('latin-1')!r} within "
                    f"{self._max_frame} bytes"
                )
            start = max(self._pos, len(self._buf) - len(self._delimiter))
            await self._more("the next boundary")
        line = await self._line(_MAX_HEADERS, "a boundary line")
        if line.rstrip().endswith(b"--") and line.rstrip() != self._delimiter:
            raise PayloadError(f"{self._where}: the stream ended (closing boundary)")

    async def _find_first_delimiter(self) -> None:
        if not self._core:
            await self._guess_delimiter()
            return
        # The stream may start inside a frame (binary, maybe without a line break for a
        # long while): look for the boundary text itself, then check it starts a line.
        limit = self._max_frame + _MAX_PREAMBLE
        start = self._pos
        while True:
            found = self._buf.find(self._core, start)
            if found < 0:
                if len(self._buf) - self._pos > limit:
                    raise PayloadError(
                        f"{self._where}: no multipart boundary "
                        f"('--{self._core.decode('latin-1')}') in the first {limit} bytes"
                    )
                start = max(self._pos, len(self._buf) - len(self._core))
                await self._more("the first boundary")
                continue
            dash = found
            while dash > self._pos and self._buf[dash - 1] == 0x2D:  # '-'
                dash -= 1
            # at a line start, or right after a frame's end-of-image marker
            starts_line = (dash == 0 or self._buf[dash - 1] in b"\r\n"
                           or self._buf.endswith(_EOI, 0, dash))
            if found - dash < 2 or not starts_line:
                start = found + 1
                continue
            self._pos = dash
            text = (await self._line(_MAX_HEADERS, "a boundary line")).strip()
            if text.lstrip(b"-") == self._core:
                self._delimiter = text
                return
            if text.endswith(b"--"):
                raise PayloadError(f"{self._where}: the stream ended (closing boundary)")
            start = self._pos

    async def _guess_delimiter(self) -> None:
        """No boundary parameter: the first short line of dashes and a token is it."""
        while True:
            line = await self._line(_MAX_PREAMBLE, "the first boundary")
            text = line.strip()
            core = text.lstrip(b"-")
            if (text.startswith(b"--") and 0 < len(core) <= 200 and core.isascii()
                    and not core.endswith(b"--")):
                self._delimiter = text
                return
            if self._pos > _MAX_PREAMBLE:
                raise PayloadError(
                    f"{self._where}: no multipart boundary (a '--' line) in the first "
                    f"{_MAX_PREAMBLE // 1024} KiB"
                )

    async def _headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        size = 0
        while True:
            # a part without headers: the image starts right after the delimiter
            while len(self._buf) - self._pos < 2:
                await self._more("the part headers")
            if self._buf.startswith(_SOI, self._pos):
                return headers
            line = await self._line(_MAX_HEADERS, "the part headers")
            size += len(line)
            if size > _MAX_HEADERS:
                raise PayloadError(f"{self._where}: part headers longer than {_MAX_HEADERS} bytes")
            if not line.strip():
                if headers:
                    return headers
                continue  # blank lines before the headers
            name, colon, value = line.decode("latin-1").partition(":")
            if colon:
                headers[name.strip().lower()] = value.strip()

    async def _body(self, length: str | None) -> bytes:
        if length is not None and length.strip().isdigit():
            size = int(length)
            if size > self._max_frame:
                raise PayloadError(
                    f"{self._where}: a part of {size} bytes is larger than the limit of "
                    f"{self._max_frame} bytes"
                )
            while len(self._buf) - self._pos < size:
                await self._more(f"the rest of a {size}-byte part")
            body = bytes(self._buf[self._pos : self._pos + size])
            self._pos += size
            return body
        start = self._pos
        while True:
            found = self._buf.find(self._delimiter, start)
            if found >= 0:
                body = bytes(self._buf[self._pos : found]).rstrip(b"\r\n")
                self._pos = found
                return body
            if len(self._buf) - self._pos > self._max_frame:
                raise PayloadError(
                    f"{self._where}: a part without Content-Length ran past the limit of "
                    f"{self._max_frame} bytes without a boundary"
                )
            start = max(self._pos, len(self._buf) - len(self._delimiter))
            if not await self._more_or_end():
                # a server that closes after its last part: whole if the image is
                body = bytes(self._buf[self._pos :]).rstrip(b"\r\n")
                if jpeg_problem(body) is None:
                    self._pos = len(self._buf)
                    return body
                raise PayloadError(
                    f"{self._where}: the stream ended while waiting for the end of a part"
                )


__all__ = ["MjpegReader", "boundary_of"]
