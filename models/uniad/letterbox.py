"""Letterboxing: how the runtime fits a camera frame into the model's square input, reproduced for training data.

The runtime scales every frame with GStreamer's ``videoscale add-borders=true`` (``src/sources/launch.ts``): the
aspect ratio is kept, the image is centred and the rest is black. Training, evaluation and calibration must see
images the same way, or a model trained on squashed parts meets undistorted ones on the line (and the reverse).
This is the twin of ``src/geometry/letterbox.ts`` (calibration and evaluation), to the bit:

- geometry (gstvideoconvertscale.c): the side that fits is kept whole, the other is scaled with integer (truncating)
  arithmetic, and the border is split with the odd pixel at the bottom/right;
- pixels (video-resampler.c, video-scaler.c): GStreamer's bilinear scaler for packed RGB, two taps with pixel centres
  mapped to pixel centres and clamped at the edges, horizontal taps in 6-bit and vertical in 8-bit fixed point, rows
  first unless shrinking vertically. That is the path an RGB image file takes through the runtime's launch string
  (video decoded to 4:2:0 YUV on the CPU is scaled by other kernels, its border offsets rounded down to even).

Masks (never seen by GStreamer) take the nearest sample, inside the same rectangle.
"""
from __future__ import annotations

import math
from typing import Tuple

import numpy as np
from PIL import Image


def letterbox_geometry(src_w: int, src_h: int, dst_w: int, dst_h: int) -> Tuple[int, int, int, int]:
    """``(x, y, w, h)`` of the scaled image inside a ``dst_w`` x ``dst_h`` frame (square pixels).

    The scaled side may truncate to 0 for a source far thinner than the frame: GStreamer then delivers a black
    frame, and so does :func:`letterbox`.
    """
    if src_w <= 0 or src_h <= 0 or dst_w <= 0 or dst_h <= 0:
        raise ValueError(f"sizes must be positive, got {src_w}x{src_h} into {dst_w}x{dst_h}")
    if src_w * dst_h == src_h * dst_w:
        return 0, 0, dst_w, dst_h
    to_h = dst_w * src_h // src_w
    if to_h <= dst_h:
        return 0, (dst_h - to_h) // 2, dst_w, to_h
    to_w = dst_h * src_w // src_h
    return (dst_w - to_w) // 2, 0, to_w, dst_h


def _linear_taps(in_size: int, out_size: int):
    """Per output sample: its first source sample and the two taps' weights (one tap for a 1-sample source)."""
    two = in_size >= 2
    first, w0s, w1s = [], [], []
    for j in range(out_size):
        # The same operations in the same order as GStreamer's doubles.
        x = min(max((0.5 + j) / out_size * in_size - (0.5 if two else 0.0), 0.0), in_size - 1)
        xi = math.floor(x)
        w0, w1 = 1.0, 0.0
        if two:
            a0, a1 = abs(x - xi), abs(x - (xi + 1))
            w0, w1 = (1.0 - a0 if a0 < 1.0 else 0.0), (1.0 - a1 if a1 < 1.0 else 0.0)
            total = w0 + w1
            w0, w1 = w0 / total, w1 / total
            if xi > in_size - 2:  # the last sample: both taps shift back one, its weight on the second
                xi, w0, w1 = xi - 1, 0.0, w0 + w1
        first.append(xi)
        w0s.append(w0)
        w1s.append(w1)
    return np.array(first), w0s, w1s, two


def _fixed_taps(w0: float, w1: float, bits: int) -> Tuple[int, int]:
    """Two weights as integers summing to ``2**bits``, rounded with a bias searched by bisection until they do."""
    one = 1 << bits
    low, high, bias = 0.0, 1.0, 0.5
    taps = (0, 0)
    for _ in range(64):
        taps = (math.floor(bias + w0 * one), math.floor(bias + w1 * one))
        total = taps[0] + taps[1]
        if total == one or low == high:
            break
        if total < one:
            low = max(low, bias)
            bias += (high - low) / 2
        else:
            high = min(high, bias)
            bias -= (high - low) / 2
    return taps


def _scale_rows(img: np.ndarray, out_w: int) -> np.ndarray:
    """``img`` (H x W x C uint8) with each row scaled to ``out_w``: 6-bit taps, rounded, clamped."""
    if img.shape[1] == out_w:
        return img
    first, w0s, w1s, two = _linear_taps(img.shape[1], out_w)
    taps = np.array([_fixed_taps(a, b, 6) if two else (64, 0) for a, b in zip(w0s, w1s)], np.int32)
    src = img.astype(np.int32)
    second = first + 1 if two else first
    out = (src[:, first] * taps[None, :, 0, None] + src[:, second] * taps[None, :, 1, None] + 32) >> 6
    return np.minimum(out, 255).astype(np.uint8)


def _scale_columns(img: np.ndarray, out_h: int) -> np.ndarray:
    """``img`` (H x W x C uint8) with each column scaled to ``out_h``: one 8-bit tap on the difference of two rows."""
    if img.shape[0] == out_h:
        return img
    first, w0s, w1s, two = _linear_taps(img.shape[0], out_h)
    if not two:
        return img[first]
    p = np.array([_fixed_taps(a, b, 8)[1] for a, b in zip(w0s, w1s)], np.int32)[:, None, None]
    top = img[first].astype(np.int32)
    bottom = img[first + 1].astype(np.int32)
    return ((top + (((bottom - top) * p + 128) >> 8)) & 255).astype(np.uint8)


def _scale_like_gstreamer(img: np.ndarray, out_w: int, out_h: int) -> np.ndarray:
    """``img`` (H x W x C uint8) scaled to ``out_w`` x ``out_h`` as ``videoscale`` scales packed RGB (bilinear)."""
    h, w = img.shape[:2]
    if w != out_w and h != out_h and _linear_taps(h, out_h)[0][-1] > out_h:
        return _scale_rows(_scale_columns(img, out_h), out_w)
    return _scale_columns(_scale_rows(img, out_w), out_h)


def _nearest(in_size: int, out_size: int) -> np.ndarray:
    return np.minimum(in_size - 1, ((np.arange(out_size) + 0.5) * in_size / out_size).astype(np.int64))


def letterbox(image: Image.Image, dst_w: int, dst_h: int, resample: int = Image.BILINEAR) -> Image.Image:
    """``image`` scaled into ``dst_w`` x ``dst_h`` with its aspect ratio kept, centred on black (0).

    ``Image.BILINEAR`` scales as the runtime's GStreamer pipeline does (images); ``Image.NEAREST`` takes the nearest
    sample (masks).
    """
    if resample not in (Image.BILINEAR, Image.NEAREST):
        raise ValueError(f"resample must be Image.BILINEAR (images) or Image.NEAREST (masks), got {resample}")
    if image.size == (dst_w, dst_h):
        return image
    x, y, w, h = letterbox_geometry(image.width, image.height, dst_w, dst_h)
    src = np.asarray(image)
    canvas = np.zeros((dst_h, dst_w) + src.shape[2:], np.uint8)
    if w > 0 and h > 0:
        if resample == Image.NEAREST:
            scaled = src[_nearest(image.height, h)][:, _nearest(image.width, w)]
        else:
            planar = src if src.ndim == 3 else src[:, :, None]
            scaled = _scale_like_gstreamer(planar, w, h).reshape((h, w) + src.shape[2:])
        canvas[y:y + h, x:x + w] = scaled
    return Image.fromarray(canvas)


__all__ = ["letterbox", "letterbox_geometry"]
