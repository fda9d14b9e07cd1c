"""Deterministic sample inputs for the demo: a 512x384 test pattern and a 256x256 reference image.

`python -m scripts.sample_image OUT.png [--reference]` writes one; the bytes are the same on every run.
"""

import argparse
import io
import math

from PIL import Image, ImageDraw

BARS = [(235, 235, 235), (235, 235, 16), (16, 235, 235), (16, 235, 16), (235, 16, 235), (235, 16, 16),
        (16, 16, 235), (16, 16, 16)]


def colour_bars(width: int = 512, height: int = 384) -> Image.Image:
    """Colour bars over the top two thirds, a grey ramp below, a grid and a circle to show geometry."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    bar_w = width / len(BARS)
    for i, colour in enumerate(BARS):
        draw.rectangle((round(i * bar_w), 0, round((i + 1) * bar_w) - 1, height * 2 // 3), fill=colour)
    for x in range(width):
        level = round(255 * x / max(1, width - 1))
        draw.line((x, height * 2 // 3 + 1, x, height - 1), fill=(level, level, level))
    for x in range(0, width, 32):
        draw.line((x, 0, x, height), fill=(60, 60, 60))
    for y in range(0, height, 32):
        draw.line((0, y, width, y), fill=(60, 60, 60))
    r = min(width, height) // 3
    cx, cy = width // 2, height // 2
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(0, 0, 0), width=6)
    draw.line((cx - r, cy, cx + r, cy), fill=(0, 0, 0), width=3)
    draw.line((cx, cy - r, cx, cy + r), fill=(0, 0, 0), width=3)
    draw.text((12, height - 24), "gpujobs demo", fill=(255, 64, 64))
    return image


def reference_pattern(size: int = 256) -> Image.Image:
    """Concentric rings in warm colours: a reference image whose blend is easy to see."""
    image = Image.new("RGB", (size, size))
    centre = size / 2
    image.putdata([
        (int(128 + 127 * math.sin(math.hypot(x - centre, y - centre) / 6)), 96, int(64 + 48 * (y / size)))
        for y in range(size) for x in range(size)
    ])
    return image


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.sample_image", description=__doc__)
    parser.add_argument("out")
    parser.add_argument("--reference", action="store_true", help="write the reference image instead")
    args = parser.parse_args(argv)
    image = reference_pattern() if args.reference else colour_bars()
    with open(args.out, "wb") as handle:
        handle.write(png_bytes(image))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
