"""Texture classes: crops of one real photograph, train and test from disjoint regions of it.

The LibreOffice palette textures are seamless (made to tile), so a crop that wrapped around an edge would repeat
pixels of the opposite edge; crops here never wrap. Each photo is split along its longer axis into a train region
(first 55 %) and a test region (the rest, after a small gap), so no test pixel was ever seen in training. Normal
variation is mild: flips, rotations of a few degrees, a few percent of scale and brightness.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from .sources import get_source, load_source

SPLITS = ('train', 'test')
TRAIN_FRACTION = 0.55
REGION_GAP = 4
# Side of a crop in source pixels (before resizing to the output size): 160..176 px of a 512 px photo.
CROP_SIDE = (160, 176)

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive) in source pixels


@dataclass
class Sample:
    """A rendered normal image plus what the defect painter needs to know about it.

    Attributes:
        image: float32 HxWx3 in [0, 1].
        region: bool HxW, where a defect may be placed (the part, for objects; everything, for textures).
        background: float32 HxWx3 that a hole shows (what lies behind the part), or None for a dark cavity.
        boxes: source key -> list of crop boxes read from it, in source pixels (for the disjointness check).
    """
    image: np.ndarray
    region: np.ndarray
    background: np.ndarray | None = None
    boxes: dict[str, list[Box]] = field(default_factory=dict)


def split_region(width: int, height: int, split: str) -> Box:
    """The part of a width x height photo that `split` may crop from; train and test regions are disjoint."""
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
    along_x = width >= height
    length = width if along_x else height
    cut = int(round(length * TRAIN_FRACTION))
    lo, hi = (0, cut) if split == 'train' else (cut + REGION_GAP, length)
    return (lo, 0, hi, height) if along_x else (0, lo, width, hi)


def boxes_overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def crop_photo(key: str, split: str, rng: np.random.Generator, out_size: int, *, max_rotation: float = 3.0,
               flip_h: bool = True, flip_v: bool = True, brightness: float = 0.05,
               side: tuple[int, int] = CROP_SIDE) -> tuple[Image.Image, Box]:
    """Crops a jittered square from the `split` region of photo `key`, resized to out_size.

    Returns:
        The RGB crop and the box actually read from the photo (the rotated square lies inside it).
    """
    photo = load_source(key)
    x0, y0, x1, y1 = split_region(photo.width, photo.height, split)
    s = int(rng.integers(side[0], side[1] + 1))
    angle = float(rng.uniform(-max_rotation, max_rotation))
    # A square of side s rotated by `angle` fits in a square of side s*(|cos|+|sin|); read that much (+2 px for
    # the interpolation kernel) so the corners never sample outside the region.
    spread = math.cos(math.radians(abs(angle))) + math.sin(math.radians(abs(angle)))
    room = min(x1 - x0, y1 - y0)
    if s * spread + 2 > room:  # a large rotation in a narrow region: crop a smaller square
        s = int((room - 2) / spread)
    read = int(math.ceil(s * spread)) + 2
    avoid = get_source(key).avoid
    for _ in range(200):
        bx = x0 + int(rng.integers(0, x1 - x0 - read + 1))
        by = y0 + int(rng.integers(0, y1 - y0 - read + 1))
        box = (bx, by, bx + read, by + read)
        if not any(boxes_overlap(box, a) for a in avoid):
            break
    else:
        raise RuntimeError(f'no {read}px crop of {key!r} in the {split} region {x0, y0, x1, y1} avoids {avoid}')
    patch = photo.crop(box)
    if angle:
        patch = patch.rotate(angle, resample=Image.BICUBIC)
    m = (read - s) // 2
    patch = patch.crop((m, m, m + s, m + s)).resize((out_size, out_size), Image.LANCZOS)
    if flip_h and rng.random() < 0.5:
        patch = patch.transpose(Image.FLIP_LEFT_RIGHT)
    if flip_v and rng.random() < 0.5:
        patch = patch.transpose(Image.FLIP_TOP_BOTTOM)
    gain = float(rng.uniform(1 - brightness, 1 + brightness))
    if gain != 1.0:
        arr = np.asarray(patch, dtype=np.float32) * gain
        patch = Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8))
    return patch, box


@dataclass(frozen=True)
class TextureClass:
    """A texture class: jittered crops of one photo.

    Args:
        name: class folder name.
        source: key of the photo in sources.SOURCES.
        max_rotation: degrees of random rotation (normal variation).
        flip_h: allow horizontal flips.
        flip_v: allow vertical flips.
        brightness: relative brightness jitter.
    """
    name: str
    source: str
    max_rotation: float = 3.0
    flip_h: bool = True
    flip_v: bool = True
    brightness: float = 0.05
    kind: str = 'texture'

    @property
    def sources(self) -> tuple[str, ...]:
        return (self.source,)

    def render(self, split: str, rng: np.random.Generator, size: int) -> Sample:
        img, box = crop_photo(self.source, split, rng, size, max_rotation=self.max_rotation, flip_h=self.flip_h,
                              flip_v=self.flip_v, brightness=self.brightness)
        arr = np.asarray(img, dtype=np.float32) / 255.0
        return Sample(arr, np.ones(arr.shape[:2], bool), None, {self.source: [box]})


TEXTURE_CLASSES: tuple[TextureClass, ...] = (
    TextureClass('cardboard', 'cardboard'),
    TextureClass('coffee', 'coffee'),
    TextureClass('concrete', 'concrete'),
    TextureClass('crumpled_paper', 'crumpled_paper'),
    TextureClass('wood', 'fence', flip_v=True, max_rotation=2.0),
    TextureClass('leaf', 'leaf'),
    TextureClass('maple_leaves', 'maple_leaves'),
    TextureClass('stones', 'stones'),
    TextureClass('tiles', 'tiles', max_rotation=1.5),
    TextureClass('brick', 'brick', max_rotation=2.0),
    TextureClass('gravel', 'gravel'),
)
