"""Real media for the demo and the tests: JPEG site photos and a PNG handwritten
signature drawn with Pillow (real encoders, real files — nothing mocked)."""

from __future__ import annotations

import io
import math
import random

from PIL import Image, ImageDraw


def site_photo(seed: int = 0, size: tuple[int, int] = (640, 480)) -> bytes:
    """A JPEG of a (drawn) construction site: sky, ground, scaffold poles, a crane jib."""
    rnd = random.Random(seed)
    img = Image.new("RGB", size, (135 + rnd.randint(0, 40), 180, 230))
    d = ImageDraw.Draw(img)
    w, h = size
    d.rectangle([0, int(h * 0.7), w, h], fill=(150, 120, 80))
    for i in range(8):
        x = int(w * 0.1) + i * int(w * 0.08)
        d.line([x, int(h * 0.25), x, int(h * 0.7)], fill=(90, 90, 90), width=4)
    for j in range(5):
        y = int(h * 0.3) + j * int(h * 0.08)
        d.line([int(w * 0.1), y, int(w * 0.66), y], fill=(200, 160, 0), width=3)
    d.line([int(w * 0.8), int(h * 0.7), int(w * 0.8), int(h * 0.1)], fill=(230, 180, 0), width=8)
    d.line([int(w * 0.45), int(h * 0.12), w, int(h * 0.12)], fill=(230, 180, 0), width=6)
    for _ in range(200):
        x, y = rnd.randrange(w), rnd.randrange(int(h * 0.7), h)
        d.point((x, y), fill=(100, 80, 50))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def signature_png(size: tuple[int, int] = (400, 160)) -> bytes:
    """A PNG with a transparent background and a handwritten-looking stroke."""
    img = Image.new("RGBA", size, (255, 255, 255, 0))
    d = ImageDraw.Draw(img)
    w, h = size
    pts = [(20 + t * (w - 40) / 200, h / 2 + math.sin(t / 9) * h * 0.25 + math.sin(t / 3) * 6) for t in range(201)]
    d.line(pts, fill=(20, 20, 120, 255), width=5, joint="curve")
    d.line([(w * 0.3, h * 0.8), (w * 0.7, h * 0.75)], fill=(20, 20, 120, 255), width=4)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def seal_png(size: int = 240) -> bytes:
    """A PNG of a round red seal (盖章) outline with a star."""
    img = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    d = ImageDraw.Draw(img)
    d.ellipse([8, 8, size - 8, size - 8], outline=(200, 0, 0, 255), width=8)
    c, r = size / 2, size / 6
    star = [(c + r * math.cos(math.pi / 2 + k * 4 * math.pi / 5), c - r * math.sin(math.pi / 2 + k * 4 * math.pi / 5))
            for k in range(5)]
    d.polygon(star, fill=(200, 0, 0, 255))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()
