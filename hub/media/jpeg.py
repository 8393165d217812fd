"""Telling a JPEG from anything else a camera may send instead (an HTML error page, a
truncated transfer, a PNG), cheaply: only the markers at both ends are read, never the
image itself, so checking a frame costs the same for 20 KB and 20 MB."""

from __future__ import annotations

JPEG_TYPE = "image/jpeg"
MAX_FRAME_BYTES = 16 * 1024 * 1024
"""Default ceiling for one frame: a 4K JPEG is 1-3 MB, so this only stops runaway data."""

_SOI = b"\xff\xd8\xff"  # start of image, then the first segment's marker
_EOI = b"\xff\xd9"
# Some encoders pad a frame after its end marker (zeros, or the line break of a multipart
# body); a few bytes of that are still a whole image.
_PADDING = b"\x00\r\n \t"
_SHOWN = 16


def jpeg_problem(data: bytes) -> str | None:
    """None for a complete JPEG; otherwise what is wrong with `data`, for a message."""
    if not data:
        return "empty (0 bytes)"
    if not data.startswith(_SOI):
        return f"not a JPEG: {len(data)} bytes starting with {preview(data)}"
    if not data.rstrip(_PADDING).endswith(_EOI):
        return f"an incomplete JPEG: {len(data)} bytes without the end-of-image marker"
    return None


def is_jpeg(data: bytes) -> bool:
    return jpeg_problem(data) is None


def preview(data: bytes) -> str:
    """The first bytes of `data` as a message shows them: text as text, binary as repr."""
    head = data[:_SHOWN]
    suffix = "..." if len(data) > _SHOWN else ""
    try:
        text = head.decode("ascii")
    except UnicodeDecodeError:
        return repr(head) + suffix
    if text.isprintable():
        return repr(text + suffix)
    return repr(head) + suffix


__all__ = ["JPEG_TYPE", "MAX_FRAME_BYTES", "is_jpeg", "jpeg_problem", "preview"]
