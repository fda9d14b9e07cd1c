"""Deterministic Pillow operations the double's KSampler does in place of the two diffusion workflows.

The same input image and request always give the same pixels (and the same PNG bytes), and the
output has the size of the input image. The parameters are derived from the prompt and the seed,
so different prompts give visibly different results:
- camera-angle: a perspective warp that turns the picture as if the camera orbited it; the yaw and
  pitch come from the prompt ("30 degrees left", "from above") or, when it names none, from a hash
  of prompt and seed.
- qwen-image-edit: an edit picked from the prompt's words (line art, warm, cool, monochrome, sepia,
  posterize, negative, soft), applied with strength `denoise`, then each reference image
  (image2_url, image3_url) blended in at REFERENCE_WEIGHT.
"""

import hashlib
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from PIL import Image, ImageFilter, ImageOps

REFERENCE_WEIGHT = 0.25
MAX_YAW = 60.0
MAX_PITCH = 45.0



def _digest(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "big")


def _unit(value: int, shift: int) -> float:
    """A float in [0, 1) taken from 16 bits of a digest."""
    return ((value >> shift) & 0xFFFF) / 65536.0


# camera-angle

_DEGREES = re.compile(r"(-?\d+(?:\.\d+)?)\s*(?:°|deg\b|degrees?\b)", re.IGNORECASE)
_WORDS = re.compile(r"[a-z']+")
_LEFT, _RIGHT = {"left"}, {"right"}
_UP = {"up", "above", "top", "overhead", "bird's", "birds", "high"}
_DOWN = {"down", "below", "bottom", "low", "worm's", "worms"}


def camera_angles(prompt: str, seed: int) -> tuple[float, float]:
    """(yaw, pitch) in degrees; positive yaw orbits left, positive pitch looks from above."""
    words = set(_WORDS.findall(prompt.lower()))
    found = _DEGREES.search(prompt)
    h = _digest("camera-angle", prompt, seed)
    magnitude = abs(float(found.group(1))) if found else 15.0 + 25.0 * _unit(h, 0)
    yaw = pitch = 0.0
    vertical = bool(words & (_UP | _DOWN))
    horizontal = bool(words & (_LEFT | _RIGHT))
    if horizontal:
        yaw = magnitude if words & _LEFT else -magnitude
    if vertical:
        pitch_magnitude = magnitude if not horizontal else min(magnitude, 20.0)
        pitch = pitch_magnitude if words & _UP else -pitch_magnitude
    if not horizontal and not vertical:
        sign = 1.0 if _unit(h, 16) < 0.5 else -1.0
        yaw = sign * magnitude
        pitch = 20.0 * _unit(h, 32) - 10.0
    return max(-MAX_YAW, min(MAX_YAW, yaw)), max(-MAX_PITCH, min(MAX_PITCH, pitch))


def _solve(matrix: list[list[float]], rhs: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting for the 8x8 perspective system."""
    n = len(rhs)
    a = [[*row, rhs[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(n):
            if r != col:
                factor = a[r][col] / a[col][col]
                for c in range(col, n + 1):
                    a[r][c] -= factor * a[col][c]
    return [a[i][n] / a[i][i] for i in range(n)]


def perspective_coefficients(
    output_corners: Sequence[tuple[float, float]], input_corners: Sequence[tuple[float, float]]
) -> list[float]:
    """Coefficients Pillow's PERSPECTIVE transform needs: they map output pixels back to input pixels."""
    matrix: list[list[float]] = []
    rhs: list[float] = []
    for (x, y), (u, v) in zip(output_corners, input_corners, strict=True):
        matrix.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rhs.append(u)
        matrix.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs.append(v)
    return _solve(matrix, rhs)


def _turned_corners(width: int, height: int, yaw: float, pitch: float) -> list[tuple[float, float]]:
    """Where the input's corners (TL, TR, BR, BL) land after turning the camera by yaw and pitch."""
    w, h = float(width), float(height)
    cx, cy = w / 2, h / 2
    corners = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)]
    yaw_r, pitch_r = math.radians(yaw), math.radians(pitch)
    far_shrink_v = 0.5 * abs(math.sin(yaw_r))
    far_shrink_h = 0.5 * abs(math.sin(pitch_r))
    turned = []
    for x, y in corners:
        nx = cx + (x - cx) * math.cos(yaw_r)
        ny = cy + (y - cy) * math.cos(pitch_r)
        # The edge that turns away from the camera gets shorter.
        if (yaw > 0 and x > cx) or (yaw < 0 and x < cx):
            ny = cy + (ny - cy) * (1 - far_shrink_v)
        if (pitch > 0 and y < cy) or (pitch < 0 and y > cy):
            nx = cx + (nx - cx) * (1 - far_shrink_h)
        turned.append((nx, ny))
    return turned


def camera_angle(image: Image.Image, prompt: str, seed: int) -> tuple[Image.Image, dict[str, Any]]:
    yaw, pitch = camera_angles(prompt, seed)
    w, h = image.size
    source = [(0.0, 0.0), (float(w), 0.0), (float(w), float(h)), (0.0, float(h))]
    coefficients = perspective_coefficients(_turned_corners(w, h, yaw, pitch), source)
    out = image.transform(
        image.size, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC, fillcolor=(0, 0, 0)
    )
    return out, {"operation": "perspective", "yaw_deg": round(yaw, 2), "pitch_deg": round(pitch, 2)}


# qwen-image-edit

def _channel_gain(red: float, green: float, blue: float) -> Callable[[Image.Image], Image.Image]:
    def apply(image: Image.Image) -> Image.Image:
        r, g, b = image.split()
        scaled = [band.point(lambda v, k=k: min(255, int(v * k))) for band, k in ((r, red), (g, green), (b, blue))]
        return Image.merge("RGB", scaled)

    return apply


def _line_art(image: Image.Image) -> Image.Image:
    edges = image.convert("L").filter(ImageFilter.SMOOTH).filter(ImageFilter.FIND_EDGES)
    return ImageOps.autocontrast(ImageOps.invert(edges)).convert("RGB")


def _sepia(image: Image.Image) -> Image.Image:
    return ImageOps.colorize(ImageOps.grayscale(image), "#2e1f0f", "#f5e6c8")


EDITS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "line-art": _line_art,
    "warm": _channel_gain(1.15, 1.02, 0.82),
    "cool": _channel_gain(0.82, 1.0, 1.18),
    "monochrome": lambda im: ImageOps.grayscale(im).convert("RGB"),
    "sepia": _sepia,
    "posterize": lambda im: ImageOps.posterize(im, 3),
    "negative": ImageOps.invert,
    "soft": lambda im: im.filter(ImageFilter.GaussianBlur(3)),
}

KEYWORDS: list[tuple[str, tuple[str, ...]]] = [
    ("line-art", ("line", "lineart", "line-art", "sketch", "drawing", "outline", "manga", "ink")),
    ("sepia", ("sepia", "vintage", "old", "antique")),
    ("monochrome", ("monochrome", "gray", "grey", "grayscale", "greyscale", "black-and-white", "noir")),
    ("warm", ("warm", "sunset", "golden", "autumn", "orange")),
    ("cool", ("cool", "cold", "blue", "night", "winter", "moonlight")),
    ("posterize", ("poster", "posterize", "cartoon", "comic", "flat", "pop")),
    ("negative", ("negative", "invert", "inverted")),
    ("soft", ("soft", "blur", "dreamy", "dream", "haze", "fog")),
]
DEFAULT_EDITS = ("warm", "cool", "sepia", "posterize")


def choose_edit(prompt: str, seed: int) -> str:
    """The first edit whose keyword the prompt contains; otherwise one of DEFAULT_EDITS by hash."""
    text = prompt.lower().replace("black and white", "black-and-white").replace("line art", "line-art")
    words = set(re.findall(r"[a-z\-]+", text))
    for name, keywords in KEYWORDS:
        if words.intersection(keywords):
            return name
    return DEFAULT_EDITS[_digest("qwen-image-edit", prompt, seed) % len(DEFAULT_EDITS)]


def image_edit(
    image: Image.Image, references: Sequence[Image.Image], prompt: str, seed: int, denoise: float
) -> tuple[Image.Image, dict[str, Any]]:
    name = choose_edit(prompt, seed)
    edited = EDITS[name](image)
    out = Image.blend(image, edited, denoise) if denoise < 1.0 else edited
    for reference in references:
        fitted = ImageOps.fit(reference, image.size, Image.Resampling.LANCZOS)
        out = Image.blend(out, fitted, REFERENCE_WEIGHT)
    return out, {"operation": name, "denoise": denoise, "references": len(references)}
