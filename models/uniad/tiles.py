"""Regions and tiles: how the runtime cuts a large camera image into model inputs, reproduced for training data.

A camera region larger than the model's input is scaled (by GStreamer, ``videoscale``: the bilinear scaler
``letterbox.py`` reproduces to the bit) to ``scale`` tile pixels per camera pixel and cut into tiles of the input's
size that overlap by at least ``overlap`` pixels; their anomaly maps are stitched into one map of the region by
taking the maximum where they overlap, and the region is scored by the model's own rule on that map: the maximum of
its ``score_pool`` x ``score_pool`` average pool. Training on tiles cut this way, and calibrating on them, means the
model and its thresholds see exactly the pixels the line does.

This is the twin of ``src/tiles/`` (grid.ts, cut.ts, stitch.ts, score.ts, ignore.ts and calibration's region
image); ``test/tiles/parity.test.ts`` checks that both give the same tiles, to the byte, and the same scores.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from .letterbox import letterbox

Rect = Tuple[int, int, int, int]  # x, y, width, height


@dataclass(frozen=True)
class TileSpec:
    """How a camera image is tiled (the runtime's ``cameras[].regions[]`` with ``tiles``).

    Attributes:
        scale: Tile pixels per camera pixel (1: the camera's own resolution).
        overlap: Pixels neighbouring tiles share at least, at the tiling scale.
        region: ``(x, y, width, height)`` of the camera image to tile; None: all of it.
    """

    scale: float = 1.0
    overlap: int = 32
    region: Optional[Rect] = None


def tile_origins(length: int, tile: int, overlap: int) -> List[int]:
    """The start of each tile along one axis: the fewest tiles overlapping by at least ``overlap``, spread evenly."""
    if tile < 1 or length < tile:
        raise ValueError(f"a region of {length} px cannot hold a tile of {tile} px")
    if not 0 <= overlap < tile:
        raise ValueError(f"an overlap of {overlap} px does not fit a {tile} px tile")
    if length == tile:
        return [0]
    n = -(-(length - overlap) // (tile - overlap))  # ceil
    return [i * (length - tile) // (n - 1) for i in range(n)]


def tile_grid(width: int, height: int, tile_w: int, tile_h: int, overlap: int) -> List[Rect]:
    """The tiles of a ``width`` x ``height`` region image, row-major."""
    xs = tile_origins(width, tile_w, overlap)
    return [(x, y, tile_w, tile_h) for y in tile_origins(height, tile_h, overlap) for x in xs]


def scaled_size(width: int, height: int, scale: float) -> Tuple[int, int]:
    """The size of a region image at tiling scale ``scale``, rounded half up (as the runtime rounds)."""
    if not scale > 0 or not math.isfinite(scale):
        raise ValueError(f"scale must be a positive number, got {scale}")
    return max(1, math.floor(width * scale + 0.5)), max(1, math.floor(height * scale + 0.5))


def region_image(image: Image.Image, spec: TileSpec) -> Image.Image:
    """The region of ``image`` at the tiling scale, as the runtime's GStreamer pipeline delivers it (RGB)."""
    x, y, w, h = spec.region or (0, 0, image.width, image.height)
    if x < 0 or y < 0 or x + w > image.width or y + h > image.height:
        raise ValueError(f"region {(x, y, w, h)} lies outside the {image.width}x{image.height} image")
    crop = image.convert("RGB").crop((x, y, x + w, y + h))
    return letterbox(crop, *scaled_size(w, h, spec.scale), Image.BILINEAR)


def region_tiles(image: Image.Image, spec: TileSpec, size: Tuple[int, int]) -> List[np.ndarray]:
    """The tiles of ``image`` (uint8 ``[h, w, 3]`` each, ``size`` = the model input's ``(width, height)``), row-major.

    Raises:
        ValueError: the region at this scale is smaller than one tile (raise ``scale``).
    """
    region = np.asarray(region_image(image, spec))
    height, width = region.shape[:2]
    if width < size[0] or height < size[1]:
        raise ValueError(f"the region is {width}x{height} px at scale {spec.scale}, smaller than one "
                         f"{size[0]}x{size[1]} tile: raise the scale")
    return [region[ty:ty + th, tx:tx + tw].copy() for tx, ty, tw, th in tile_grid(width, height, *size, spec.overlap)]


def stitch_max(width: int, height: int, tiles: Sequence[Rect], maps: Sequence[np.ndarray]) -> np.ndarray:
    """One ``[height, width]`` map of a region from its tiles' maps: the maximum where they overlap."""
    out = np.full((height, width), -np.inf, np.float32)
    for (x, y, w, h), m in zip(tiles, maps):
        view = out[y:y + h, x:x + w]
        np.maximum(view, m, out=view)
    return out


def pooled_max(anomaly_map: np.ndarray, pool: int) -> float:
    """The model's score rule on any map: the maximum of its ``pool`` x ``pool`` average pool at stride 1."""
    m = np.asarray(anomaly_map, np.float64)
    sat = np.zeros((m.shape[0] + 1, m.shape[1] + 1))
    sat[1:, 1:] = m.cumsum(0).cumsum(1)
    sums = sat[pool:, pool:] - sat[:-pool, pool:] - sat[pool:, :-pool] + sat[:-pool, :-pool]
    return float(sums.max() / (pool * pool))


__all__ = ["TileSpec", "tile_origins", "tile_grid", "scaled_size", "region_image", "region_tiles", "stitch_max",
           "pooled_max"]
