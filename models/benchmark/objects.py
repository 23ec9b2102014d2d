"""Object classes: parts with a shape, rendered procedurally on a background, surfaces taken from real photos.

Each part is drawn in its own frame (supersampled), then placed with a small pose jitter (shift, rotation, size,
light direction) — the normal variation of a part under a fixed camera. Surface grain and backgrounds are crops of
real photographs, taken from the split's region of each photo exactly as for texture classes, so train and test
never share source pixels here either.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from .sources import font_file
from .textures import Sample, crop_photo

SUPERSAMPLE = 2
def _font(px: float) -> ImageFont.FreeTypeFont:
    # No silent fallback: another font would change the printed parts, so the benchmark would not be reproducible.
    return ImageFont.truetype(font_file(), max(6, int(round(px))))


def _photo(key: str, split: str, rng: np.random.Generator, size: int, boxes: dict, **kw) -> np.ndarray:
    img, box = crop_photo(key, split, rng, size, **kw)
    boxes.setdefault(key, []).append(box)
    return np.asarray(img, np.float32) / 255.0


def _grain(photo: np.ndarray) -> np.ndarray:
    """Zero-mean, unit-std luminance of a photo crop: the 'grain' given to a synthetic surface."""
    lum = photo.mean(-1)
    return (lum - lum.mean()) / (lum.std() + 1e-6)


def _layer(size: int, center: tuple[float, float], angle: float, draw: Callable[[ImageDraw.ImageDraw, float], None]
           ) -> np.ndarray:
    """Alpha (HxW float) of shapes drawn around the origin, rotated by `angle` degrees and moved to `center`.

    `draw(d, k)` draws with coordinates relative to the canvas centre; k is the pixel scale (supersampling included).
    """
    n = size * SUPERSAMPLE
    canvas = Image.new('L', (n, n), 0)
    draw(_Centered(ImageDraw.Draw(canvas), n / 2), SUPERSAMPLE)
    dx, dy = (center[0] - size / 2) * SUPERSAMPLE, (center[1] - size / 2) * SUPERSAMPLE
    canvas = canvas.rotate(angle, resample=Image.BICUBIC, translate=(dx, dy))
    return np.asarray(canvas.resize((size, size), Image.BOX), np.float32) / 255.0


class _Centered:
    """ImageDraw with the origin at the canvas centre (only the calls the parts need)."""

    def __init__(self, d: ImageDraw.ImageDraw, c: float):
        self.d, self.c = d, c

    def _xy(self, box):
        return [v + self.c for v in box]

    def rectangle(self, box, **kw):
        self.d.rectangle(self._xy(box), **kw)

    def rounded_rectangle(self, box, radius, **kw):
        self.d.rounded_rectangle(self._xy(box), radius=radius, **kw)

    def ellipse(self, box, **kw):
        self.d.ellipse(self._xy(box), **kw)

    def line(self, pts, **kw):
        self.d.line([(x + self.c, y + self.c) for x, y in pts], **kw)

    def text(self, xy, text, **kw):
        self.d.text((xy[0] + self.c, xy[1] + self.c), text, **kw)


def _lerp(img: np.ndarray, top: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    return img * (1 - alpha[..., None]) + top * alpha[..., None]


def _shadow(img: np.ndarray, alpha: np.ndarray, s: float, strength: float = 0.45) -> np.ndarray:
    """Darkens `img` under a soft drop shadow of `alpha`, cast towards the bottom right."""
    sh = ndimage.shift(ndimage.gaussian_filter(alpha, 3 * s), (3 * s, 3 * s), order=1)
    return img * (1 - strength * sh)[..., None]


@dataclass(frozen=True)
class Washer:
    """A turned steel washer on a dark stone surface. Holes in it show the surface underneath."""
    name: str = 'washer'
    kind: str = 'object'
    sources: tuple[str, ...] = ('concrete', 'stone')

    def render(self, split: str, rng: np.random.Generator, size: int) -> Sample:
        s = size / 224
        boxes: dict = {}
        bg = _photo('concrete', split, rng, size, boxes) * np.array([0.30, 0.31, 0.34], np.float32) / 0.75
        grain = _grain(_photo('stone', split, rng, size, boxes, max_rotation=90.0))
        cx, cy = size / 2 + np.clip(rng.normal(0, 3 * s, 2), -7 * s, 7 * s)
        r_out = 74 * s * rng.uniform(0.97, 1.03)
        r_in = 30 * s * rng.uniform(0.95, 1.05)
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
        r = np.hypot(xx - cx, yy - cy)
        theta = np.arctan2(yy - cy, xx - cx)
        alpha = np.clip(r_out - r + 0.5, 0, 1) * np.clip(r - r_in + 0.5, 0, 1)
        light = math.radians(-135 + rng.normal(0, 6))
        # A turned surface reflects in two lobes (anisotropic highlight), plus bevels lit on the side facing the light.
        lum = (0.52 + 0.16 * np.cos(2 * (theta - light)) + 0.06 * np.cos(theta - light) + 0.035 * grain
               + 0.22 * np.exp(-(r_out - r) / (2.0 * s)) * np.cos(theta - light)
               - 0.22 * np.exp(-(r - r_in) / (2.0 * s)) * np.cos(theta - light))
        metal = np.clip(lum, 0, 1)[..., None] * np.array([0.95, 0.97, 1.0], np.float32)
        ground = _shadow(bg, alpha, s)
        return Sample(_lerp(ground, metal, alpha), alpha > 0.5, ground, boxes)


@dataclass(frozen=True)
class Chip:
    """A 14-pin SOIC chip on a green circuit board: epoxy body, tinned pins, pin-1 dimple, printed marking."""
    name: str = 'chip'
    kind: str = 'object'
    sources: tuple[str, ...] = ('painted_white', 'concrete', 'stone')

    def render(self, split: str, rng: np.random.Generator, size: int) -> Sample:
        s = size / 224
        boxes: dict = {}
        board = _grain(_photo('painted_white', split, rng, size, boxes))
        epoxy_grain = _grain(_photo('concrete', split, rng, size, boxes))
        pin_grain = _grain(_photo('stone', split, rng, size, boxes))
        center = tuple(size / 2 + np.clip(rng.normal(0, 3 * s, 2), -7 * s, 7 * s))
        angle = float(np.clip(rng.normal(0, 1.5), -3.5, 3.5))
        bw, bh, pitch, pin_w, pin_l = 120, 80, 15.5, 7, 16

        def pins(d, k):
            for i in range(7):
                x = (i - 3) * pitch
                for side in (-1, 1):
                    y0, y1 = sorted((side * bh / 2, side * (bh / 2 + pin_l)))
                    d.rectangle([(x - pin_w / 2) * k * s, y0 * k * s, (x + pin_w / 2) * k * s, y1 * k * s], fill=255)

        def pads(d, k):
            for i in range(7):
                x = (i - 3) * pitch
                for side in (-1, 1):
                    y0, y1 = sorted((side * (bh / 2 + 4), side * (bh / 2 + pin_l + 5)))
                    d.rectangle([(x - 5.5) * k * s, y0 * k * s, (x + 5.5) * k * s, y1 * k * s], fill=255)
                    # traces from each pad out of the picture
                    d.line([(x * k * s, side * (bh / 2 + pin_l + 5) * k * s), (x * k * s, side * 150 * k * s)],
                           fill=255, width=int(3 * k * s))

        def body(d, k):
            d.rounded_rectangle([-bw / 2 * k * s, -bh / 2 * k * s, bw / 2 * k * s, bh / 2 * k * s], 3 * k * s,
                                fill=255)

        def dot(d, k):
            x, y, r = -bw / 2 + 14, bh / 2 - 14, 5
            d.ellipse([(x - r) * k * s, (y - r) * k * s, (x + r) * k * s, (y + r) * k * s], fill=255)

        def marking(d, k):
            d.text((0, -10 * k * s), 'UA7805', fill=255, font=_font(19 * k * s), anchor='mm')
            d.text((6 * k * s, 14 * k * s), 'E2318 TW', fill=255, font=_font(12 * k * s), anchor='mm')

        a_pads, a_pins, a_body, a_dot, a_text = (_layer(size, center, angle, f) for f in (pads, pins, body, dot, marking))
        green = np.array([0.10, 0.34, 0.17], np.float32)
        img = np.clip(1 + 0.08 * board, 0, 2)[..., None] * green
        img = _lerp(img, np.clip(1 + 0.05 * board, 0, 2)[..., None] * np.array([0.62, 0.58, 0.45], np.float32), a_pads)
        ground = img.copy()
        img = _shadow(img, np.maximum(a_body, a_pins), s, 0.5)
        pin_lum = np.clip(0.72 + 0.06 * pin_grain, 0, 1)[..., None]
        img = _lerp(img, pin_lum * np.array([0.9, 0.9, 0.92], np.float32), a_pins)
        epoxy = np.clip(0.13 + 0.018 * epoxy_grain, 0, 1)[..., None] * np.array([1.0, 1.0, 1.05], np.float32)
        img = _lerp(img, epoxy, a_body)
        img = _lerp(img, epoxy * 1.9, a_dot)
        ink = rng.uniform(0.68, 0.78)
        img = _lerp(img, np.full(3, ink, np.float32), a_text * 0.9)
        part = np.maximum(a_body, a_pins)
        # What missing material reveals: the board where a pin is gone, grey fractured epoxy inside the body.
        fracture = np.clip(0.34 + 0.06 * epoxy_grain, 0, 1)[..., None] * np.array([0.95, 0.95, 0.9], np.float32)
        beneath = _lerp(ground, fracture, a_body)
        return Sample(img, part > 0.5, beneath, boxes)


BARCODE = np.random.default_rng(20240605).integers(1, 4, 30)  # the label's fixed content: bar/space widths


@dataclass(frozen=True)
class Label:
    """A printed paper label stuck on a cardboard box: text lines, a barcode, a logo. Holes show the cardboard."""
    name: str = 'label'
    kind: str = 'object'
    sources: tuple[str, ...] = ('cardboard', 'texture_paper')

    def render(self, split: str, rng: np.random.Generator, size: int) -> Sample:
        s = size / 224
        boxes: dict = {}
        box = _photo('cardboard', split, rng, size, boxes)
        paper = _grain(_photo('texture_paper', split, rng, size, boxes))
        center = tuple(size / 2 + np.clip(rng.normal(0, 3 * s, 2), -7 * s, 7 * s))
        angle = float(np.clip(rng.normal(0, 1.5), -4, 4))
        lw, lh = 164, 112

        def sheet(d, k):
            d.rounded_rectangle([-lw / 2 * k * s, -lh / 2 * k * s, lw / 2 * k * s, lh / 2 * k * s], 7 * k * s,
                                fill=255)

        def prints(d, k):
            x0, y0 = -lw / 2 + 10, -lh / 2 + 8
            d.rectangle([x0 * k * s, y0 * k * s, (x0 + 22) * k * s, (y0 + 22) * k * s], fill=255)
            d.rectangle([(x0 + 5) * k * s, (y0 + 5) * k * s, (x0 + 17) * k * s, (y0 + 17) * k * s], fill=0)
            d.text(((x0 + 28) * k * s, (y0 + 1) * k * s), 'UNIAD EDGE', fill=255, font=_font(15 * k * s))
            d.text(((x0 + 28) * k * s, (y0 + 19) * k * s), 'PART 4711-B', fill=255, font=_font(9 * k * s))
            d.text((x0 * k * s, (y0 + 32) * k * s), 'LOT 2318-07   QTY 250', fill=255, font=_font(10 * k * s))
            x = x0 + 4
            for i, w in enumerate(BARCODE):
                if i % 2 == 0:
                    d.rectangle([x * k * s, (y0 + 52) * k * s, (x + w * 1.4) * k * s, (y0 + 86) * k * s], fill=255)
                x += w * 1.4
            d.text((x0 * k * s, (y0 + 88) * k * s), '4 012345 678901', fill=255, font=_font(8 * k * s))

        a_sheet, a_print = _layer(size, center, angle, sheet), _layer(size, center, angle, prints)
        ground = _shadow(box, a_sheet, s, 0.35)
        white = np.clip(0.92 + 0.025 * paper, 0, 1)[..., None] * np.array([1.0, 0.99, 0.96], np.float32)
        img = _lerp(ground, white, a_sheet)
        ink = np.array([0.07, 0.07, 0.11], np.float32) * rng.uniform(0.9, 1.3)
        img = _lerp(img, np.broadcast_to(ink, img.shape), a_print * rng.uniform(0.88, 0.97) * a_sheet)
        return Sample(img, a_sheet > 0.5, ground, boxes)


OBJECT_CLASSES = (Washer(), Chip(), Label())
