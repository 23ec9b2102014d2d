"""Letterboxing: how the runtime fits a camera frame into the model's square input, reproduced for training data.

The runtime scales every frame with GStreamer's ``videoscale add-borders=true`` (``src/sources/launch.ts``): the
aspect ratio is kept, the image is centred and the rest is black. Training, evaluation and calibration must see
images the same way, or a model trained on squashed parts meets undistorted ones on the line (and the reverse).
The geometry follows gstvideoscale.c: the side that fits is kept whole, the other is scaled with integer
(truncating) arithmetic, and the border is split with the odd pixel at the bottom/right.
"""
from __future__ import annotations

from typing import Tuple

from PIL import Image


def letterbox_geometry(src_w: int, src_h: int, dst_w: int, dst_h: int) -> Tuple[int, int, int, int]:
    """``(x, y, w, h)`` of the scaled image inside a ``dst_w`` x ``dst_h`` frame (square pixels)."""
    if src_w <= 0 or src_h <= 0 or dst_w <= 0 or dst_h <= 0:
        raise ValueError(f"sizes must be positive, got {src_w}x{src_h} into {dst_w}x{dst_h}")
    if src_w * dst_h == src_h * dst_w:
        return 0, 0, dst_w, dst_h
    to_h = dst_w * src_h // src_w
    if to_h <= dst_h:
        return 0, (dst_h - to_h) // 2, dst_w, to_h
    to_w = dst_h * src_w // src_h
    return (dst_w - to_w) // 2, 0, to_w, dst_h


def letterbox(image: Image.Image, dst_w: int, dst_h: int, resample: int = Image.BILINEAR) -> Image.Image:
    """``image`` scaled into ``dst_w`` x ``dst_h`` with its aspect ratio kept, centred on black (0)."""
    x, y, w, h = letterbox_geometry(image.width, image.height, dst_w, dst_h)
    scaled = image if image.size == (w, h) else image.resize((w, h), resample)
    if (w, h) == (dst_w, dst_h):
        return scaled
    canvas = Image.new(image.mode, (dst_w, dst_h), 0)
    canvas.paste(scaled, (x, y))
    return canvas


__all__ = ["letterbox", "letterbox_geometry"]
