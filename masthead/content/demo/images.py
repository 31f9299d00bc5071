"""Lead images for the demo, drawn locally: soft abstract compositions, nothing downloaded."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter

PALETTES = [
    [(23, 37, 84), (59, 91, 152), (201, 214, 234), (238, 185, 92)],
    [(34, 68, 58), (92, 140, 110), (214, 226, 200), (196, 120, 74)],
    [(74, 30, 44), (150, 62, 76), (236, 210, 196), (60, 70, 96)],
    [(30, 30, 36), (90, 96, 112), (220, 220, 226), (212, 72, 56)],
    [(12, 58, 92), (40, 132, 160), (206, 236, 240), (244, 208, 120)],
    [(70, 52, 30), (164, 120, 64), (240, 226, 200), (46, 84, 104)],
]


def draw(seed: int, size: tuple[int, int] = (1600, 900)) -> bytes:
    """A JPEG of a layered abstract picture, the same for the same seed."""
    rng = random.Random(seed)  # noqa: S311 - pictures, not secrets
    palette = PALETTES[seed % len(PALETTES)]
    width, height = size
    picture = Image.new("RGB", size, palette[0])
    pixels = ImageDraw.Draw(picture)
    for band in range(height):
        t = band / height
        top, bottom = palette[0], palette[1]
        pixels.line(
            [(0, band), (width, band)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        )
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    shapes = ImageDraw.Draw(layer)
    for _ in range(14):
        colour = rng.choice(palette[1:])
        x, y = rng.randrange(width), rng.randrange(height)
        radius = rng.randrange(60, 380)
        shapes.ellipse([x - radius, y - radius, x + radius, y + radius], fill=(*colour, rng.randrange(40, 140)))
    for _ in range(5):
        colour = rng.choice(palette[2:])
        y = rng.randrange(height)
        shapes.rectangle([0, y, width, y + rng.randrange(4, 28)], fill=(*colour, rng.randrange(60, 160)))
    layer = layer.filter(ImageFilter.GaussianBlur(6))
    picture = Image.alpha_composite(picture.convert("RGBA"), layer).convert("RGB")
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=82, optimize=True)
    return out.getvalue()
