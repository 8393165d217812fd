"""The MJPEG multipart reader, JPEG checks and URL masking, on real JPEG bytes fed in every
chunking a socket may produce."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hub.errors import PayloadError
from hub.media import MjpegReader, boundary_of, is_jpeg, jpeg_problem, mask_url
from tests.cameras import jpeg_frame

FRAMES = [jpeg_frame(6_000, seed) for seed in range(3)]


async def chunked(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def stream(
    frames: list[bytes],
    *,
    delimiter: bytes = b"--frame",
    nl: bytes = b"\r\n",
    length: bool = True,
    headers: bool = True,
    close: bool = False,
) -> bytes:
    out = b""
    for frame in frames:
        out += delimiter + nl
        if headers:
            out += b"Content-Type: image/jpeg" + nl
            if length:
                out += f"Content-Length: {len(frame)}".encode() + nl
            out += nl
        out += frame + nl
    if close:
        out += delimiter + b"--" + nl
    return out


async def read_all(reader: MjpegReader, count: int) -> list[bytes]:
    return [await reader.next_frame() for _ in range(count)]


@pytest.mark.parametrize("chunk", [1, 7, 1000, 1 << 20])
@pytest.mark.parametrize("length", [True, False])
async def test_frames_come_out_whole_in_any_chunking(chunk: int, length: bool) -> None:
    data = stream(FRAMES, length=length)
    reader = MjpegReader(chunked(data, chunk), "multipart/x-mixed-replace; boundary=frame")
    assert await read_all(reader, 3) == FRAMES
    assert reader.frames == 3


@pytest.mark.parametrize(
    ("content_type", "delimiter"),
    [
        ("multipart/x-mixed-replace; boundary=frame", b"--frame"),
        ("multipart/x-mixed-replace;boundary=\"frame\"", b"--frame"),
        # the boundary parameter written with its dashes, and two or four on the wire
        ("multipart/x-mixed-replace; boundary=--frame", b"--frame"),
        ("multipart/x-mixed-replace; boundary=--frame", b"----frame"),
        ("multipart/x-mixed-replace; boundary=frame", b"----frame"),
        # no boundary parameter at all: the first '--' line is the delimiter
        ("multipart/x-mixed-replace", b"--myboundary"),
        ("multipart/x-mixed-replace", b"--frame"),
    ],
)
async def test_boundary_dialects(content_type: str, delimiter: bytes) -> None:
    reader = MjpegReader(chunked(stream(FRAMES, delimiter=delimiter), 512), content_type)
    assert await read_all(reader, 3) == FRAMES


@pytest.mark.parametrize("length", [True, False])
async def test_bare_line_feeds(length: bool) -> None:
    data = stream(FRAMES, nl=b"\n", length=length)
    reader = MjpegReader(chunked(data, 333), "multipart/x-mixed-replace; boundary=frame")
    assert await read_all(reader, 3) == FRAMES


async def test_parts_without_headers() -> None:
    data = stream(FRAMES, headers=False)
    reader = MjpegReader(chunked(data, 100), "multipart/x-mixed-replace; boundary=frame")
    assert await read_all(reader, 3) == FRAMES


async def test_blank_lines_before_part_headers_are_skipped() -> None:
    frame = FRAMES[0]
    data = (b"--frame\r\n\r\nContent-Type: image/jpeg\r\n\r\n" + frame + b"\r\n--frame\r\n")
    reader = MjpegReader(chunked(data, 64), "multipart/x-mixed-replace; boundary=frame")
    assert await reader.next_frame() == frame


async def test_the_tail_of_a_frame_before_the_first_boundary_is_skipped() -> None:
    # a camera that was mid-frame when the client connected; no line break before the
    # boundary, and binary data before it that is longer than any header block
    big = jpeg_frame(100_000, 9)
    data = big[-90_000:] + stream(FRAMES)
    reader = MjpegReader(chunked(data, 4096), "multipart/x-mixed-replace; boundary=frame")
    assert await reader.next_frame() == FRAMES[0]


async def test_text_parts_are_skipped() -> None:
    text_part = b"--frame\r\nContent-Type: text/plain\r\nContent-Length: 8\r\n\r\nmotion=1\r\n"
    data = text_part + stream(FRAMES[:1]) + text_part + stream(FRAMES[1:2])
    reader = MjpegReader(chunked(data, 256), "multipart/x-mixed-replace; boundary=frame")
    assert await read_all(reader, 2) == FRAMES[:2]


async def test_a_part_that_is_not_a_jpeg_is_an_error() -> None:
    data = b"--frame\r\nContent-Type: image/jpeg\r\n\r\n<html>oops</html>\r\n--frame\r\n"
    reader = MjpegReader(chunked(data, 64), "multipart/x-mixed-replace; boundary=frame",
                         where="http://cam/video")
    with pytest.raises(PayloadError, match=r"^http://cam/video: part 1 is not a JPEG: 17 bytes "
                                           r"starting with '<html>oops</html"):
        await reader.next_frame()


async def test_a_part_larger_than_the_limit_is_refused_before_it_is_read() -> None:
    data = stream([jpeg_frame(50_000)])
    reader = MjpegReader(chunked(data, 4096), "multipart/x-mixed-replace; boundary=frame",
                         max_frame_bytes=20_000)
    with pytest.raises(PayloadError, match="a part of 50000 bytes is larger than the limit of "
                                           "20000 bytes"):
        await reader.next_frame()


async def test_a_part_without_length_is_bounded_too() -> None:
    data = stream([jpeg_frame(50_000)], length=False)
    reader = MjpegReader(chunked(data, 4096), "multipart/x-mixed-replace; boundary=frame",
                         max_frame_bytes=20_000)
    with pytest.raises(PayloadError, match="without Content-Length ran past the limit of 20000"):
        await reader.next_frame()


async def test_the_closing_boundary_ends_the_stream() -> None:
    data = stream(FRAMES[:1], close=True)
    reader = MjpegReader(chunked(data, 64), "multipart/x-mixed-replace; boundary=frame")
    assert await reader.next_frame() == FRAMES[0]
    with pytest.raises(PayloadError, match=r"the stream ended \(closing boundary\)"):
        await reader.next_frame()


async def test_a_stream_cut_inside_a_frame() -> None:
    data = stream(FRAMES[:1])[:-3000]
    reader = MjpegReader(chunked(data, 1000), "multipart/x-mixed-replace; boundary=frame")
    with pytest.raises(PayloadError, match="the stream ended while waiting for the rest of a "
                                           "6000-byte part"):
        await reader.next_frame()


async def test_no_boundary_where_one_is_expected() -> None:
    reader = MjpegReader(chunked(stream(FRAMES, delimiter=b"--other"), 4096),
                         "multipart/x-mixed-replace; boundary=frame", max_frame_bytes=10_000)
    with pytest.raises(PayloadError, match=r"the stream ended while waiting for the first "
                                           r"boundary"):
        await reader.next_frame()
    endless = chunked(b"x" * 200_000, 4096)
    reader = MjpegReader(endless, "multipart/x-mixed-replace; boundary=frame",
                         max_frame_bytes=10_000)
    with pytest.raises(PayloadError, match=r"no multipart boundary \('--frame'\) in the first "
                                           r"75536 bytes"):
        await reader.next_frame()


def test_boundary_parameter() -> None:
    assert boundary_of("multipart/x-mixed-replace; boundary=frame") == "frame"
    assert boundary_of('multipart/x-mixed-replace; charset=x; BOUNDARY="a b"') == "a b"
    assert boundary_of("multipart/x-mixed-replace;boundary=--ipcam") == "--ipcam"
    assert boundary_of("multipart/x-mixed-replace") is None
    assert boundary_of("multipart/x-mixed-replace; boundary=") is None


def test_jpeg_problems() -> None:
    frame = FRAMES[0]
    assert is_jpeg(frame)
    assert is_jpeg(frame + b"\r\n\x00\x00")  # padding after the end marker
    assert jpeg_problem(b"") == "empty (0 bytes)"
    assert jpeg_problem(b"<html><body>403</body></html>") == (
        "not a JPEG: 29 bytes starting with '<html><body>403<...'"
    )
    assert jpeg_problem(b"\x89PNG\r\n\x1a\n" + bytes(40)) == (
        "not a JPEG: 48 bytes starting with b'\\x89PNG\\r\\n\\x1a\\n\\x00\\x00\\x00\\x00\\x00"
        "\\x00\\x00\\x00'..."
    )
    assert jpeg_problem(frame[:3000]) == (
        "an incomplete JPEG: 3000 bytes without the end-of-image marker"
    )


def test_credentials_are_masked_in_urls() -> None:
    assert mask_url("http://admin:hunter2@10.0.0.5:8080/snap.jpg") == (
        "http://***@10.0.0.5:8080/snap.jpg"
    )
    assert mask_url("http://cam/cgi?cmd=snapPicture2&usr=admin&pwd=hunter2") == (
        "http://cam/cgi?cmd=snapPicture2&usr=***&pwd=***"
    )
    assert mask_url("https://cam/video.mjpg?resolution=640x480") == (
        "https://cam/video.mjpg?resolution=640x480"
    )


def test_test_frames_are_real_jpegs_of_the_asked_size() -> None:
    import io

    from PIL import Image

    frame = jpeg_frame(200_000, 4)
    assert len(frame) == 200_000
    image = Image.open(io.BytesIO(frame))
    image.load()
    assert image.format == "JPEG" and image.size == (160, 120)
    assert jpeg_frame(200_000, 4) == frame and jpeg_frame(200_000, 5) != frame
