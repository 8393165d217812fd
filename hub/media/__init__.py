"""Camera frames: JPEG checks, MJPEG stream parsing, and fetching frames over HTTP.

    problem = jpeg_problem(data)                 # None for a whole JPEG, else why not
    async with FrameFetcher(FetchSettings(timeout=5.0)) as fetcher:
        frame = await fetcher.frame(url)         # a snapshot URL, or an MJPEG stream's next frame

Integrations that offer `camera.get_frame` build on these; the core never needs them.
"""

from hub.media.httpframes import FetchSettings, FrameFetcher, HttpAuth, mask_url
from hub.media.jpeg import JPEG_TYPE, MAX_FRAME_BYTES, is_jpeg, jpeg_problem, preview
from hub.media.mjpeg import MjpegReader, boundary_of

__all__ = [
    "JPEG_TYPE",
    "MAX_FRAME_BYTES",
    "FetchSettings",
    "FrameFetcher",
    "HttpAuth",
    "MjpegReader",
    "boundary_of",
    "is_jpeg",
    "jpeg_problem",
    "mask_url",
    "preview",
]
