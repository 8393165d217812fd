"""Real JPEG frames for the simulated camera: a moving test card with the time on it."""

from __future__ import annotations

import io
from datetime import datetime


def test_card(width: int, height: int, when: datetime, *, quality: int = 80) -> bytes:
    """Encode one frame: colour bars, a moving bar and a timestamp, as baseline JPEG."""
    from PIL import Image, ImageDraw  # imported on first frame: keeps hub start-up lean

    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    bars = [(192, 192, 192), (192, 192, 0), (0, 192, 192), (0, 192, 0),
            (192, 0, 192), (192, 0, 0), (0, 0, 192)]
    step = width / len(bars)
    for i, colour in enumerate(bars):
        draw.rectangle((int(i * step), 0, int((i + 1) * step), height * 2 // 3), fill=colour)
    x = int((when.timestamp() * 40) % width)
    draw.rectangle((x, height * 2 // 3, x + width // 10, height), fill=(255, 255, 255))
    draw.text((10, height - 24), when.strftime("%Y-%m-%d %H:%M:%S UTC"), fill=(255, 255, 0))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()
