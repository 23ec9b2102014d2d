"""MVTec-AD-layout image folders (Bergmann et al., CVPR 2019), the layout UniAD trains and evaluates on.

    <root>/<class>/train/good/*.png
    <root>/<class>/test/<good|defect>/*.png              (optional)
    <root>/<class>/ground_truth/<defect>/<name>_mask.png (optional; missing masks of good images = all 0)

MVTec AD's own extracted tree is exactly this. A class is any folder of ``root`` with ``train/good``. Images are
letterboxed to the model's input (letterbox.py), as the runtime's cameras deliver frames.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from .letterbox import letterbox
from .tiles import TileSpec, region_tiles, scaled_size, tile_grid

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


@dataclass(frozen=True)
class ImageRecord:
    """One image of the data root.

    Attributes:
        path: Image file.
        cls: Class (product) name.
        label: 0 normal, 1 anomalous.
        mask_path: Ground-truth mask of an anomalous image, when present.
    """

    path: str
    cls: str
    label: int
    mask_path: Optional[str] = None


def _images(folder: str) -> List[str]:
    if not os.path.isdir(folder):
        return []
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS))


class DataLayoutError(FileNotFoundError):
    """The data folder is not in the expected layout; the message shows the layout and the move that fixes it."""


def _layout_hint(root: str) -> str:
    """What is wrong with ``root``, for a folder that has no ``<class>/train/good`` images."""
    flat = _images(root)
    if flat:
        return (f"{root!r} holds {len(flat)} images directly, but training needs one folder per class: "
                f"<data>/<class>/train/good/*.png. For one class, move them: "
                f"mkdir -p {root}/<class>/train/good && mv {root}/*.* {root}/<class>/train/good/")
    loose = sorted(c for c in os.listdir(root) if _images(os.path.join(root, c)))
    if loose:
        return (f"{root!r} has class folders with images directly inside ({', '.join(loose[:5])}"
                f"{', ...' if len(loose) > 5 else ''}), but training reads <data>/<class>/train/good/*.png: "
                f"move each class's normal images into <class>/train/good/")
    return f"no <class>/train/good/*.png folders under {root!r} (expected MVTec AD layout)"


def discover_classes(root: str) -> List[str]:
    """Class folders of ``root`` that contain ``train/good`` images, sorted.

    Raises:
        DataLayoutError: ``root`` is missing or has no ``<class>/train/good`` images; the message says how to fix it.
    """
    if not os.path.isdir(root):
        raise DataLayoutError(f"data root {root!r} does not exist")
    classes = sorted(c for c in os.listdir(root) if _images(os.path.join(root, c, "train", "good")))
    if not classes:
        raise DataLayoutError(_layout_hint(root))
    return classes


def _resolve(root: str, classes: Optional[Sequence[str]]) -> List[str]:
    return list(classes) if classes else discover_classes(root)


def refuse_test_only(root: str, use: str) -> None:
    """Raises DataLayoutError when ``root`` is a test-only set (its benchmark.json says so, as the unseen-defect set's
    does): training or calibrating on it would leak the test into the model. ``use`` names what was attempted."""
    summary = os.path.join(root, "benchmark.json")
    if not os.path.isfile(summary):
        return
    with open(summary) as f:
        note = str(json.load(f).get("use", ""))
    if note.startswith("testing only"):
        raise DataLayoutError(f"{root!r} is a test-only set ({note}); {use} on a benchmark build or held-out normal "
                              f"images instead")


def train_records(root: str, classes: Optional[Sequence[str]] = None) -> List[ImageRecord]:
    """All ``train/good`` images of ``classes`` (default: every class)."""
    refuse_test_only(root, "train")
    return [ImageRecord(p, c, 0) for c in _resolve(root, classes)
            for p in _images(os.path.join(root, c, "train", "good"))]


def test_records(root: str, classes: Optional[Sequence[str]] = None, good_only: bool = False) -> List[ImageRecord]:
    """``test/*`` images with labels (``good`` = 0) and mask paths where a mask file exists."""
    out: List[ImageRecord] = []
    for c in _resolve(root, classes):
        test_dir = os.path.join(root, c, "test")
        if not os.path.isdir(test_dir):
            continue
        for defect in sorted(os.listdir(test_dir)):
            if good_only and defect != "good":
                continue
            for p in _images(os.path.join(test_dir, defect)):
                mask = None
                if defect != "good":
                    stem = os.path.splitext(os.path.basename(p))[0]
                    candidate = os.path.join(root, c, "ground_truth", defect, stem + "_mask.png")
                    mask = candidate if os.path.isfile(candidate) else None
                out.append(ImageRecord(p, c, 0 if defect == "good" else 1, mask))
    return out


def load_image(path: str, size: int) -> np.ndarray:
    """RGB uint8 ``[size, size, 3]``, letterboxed as the runtime does (bilinear; grey images become RGB)."""
    with Image.open(path) as im:
        # A writable copy: torch.from_numpy warns on the read-only view PIL gives.
        return np.array(letterbox(im.convert("RGB"), size, size, Image.BILINEAR), dtype=np.uint8)


def load_mask(record: ImageRecord, size: int) -> np.ndarray:
    """Bool ``[size, size]`` defect mask, letterboxed like its image (nearest, ``> 0``); all False without one."""
    if record.mask_path is None:
        return np.zeros((size, size), dtype=bool)
    with Image.open(record.mask_path) as im:
        return np.asarray(letterbox(im.convert("L"), size, size, Image.NEAREST)) > 0


class ImageDataset(Dataset):
    """uint8 NHWC images of ``records`` at ``size``×``size`` (the model normalises them itself).

    Args:
        records: Images to serve.
        size: Output side.
    """

    def __init__(self, records: Sequence[ImageRecord], size: int) -> None:
        self.records = list(records)
        self.size = size

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> torch.Tensor:
        return torch.from_numpy(load_image(self.records[i].path, self.size))


class TileDataset(Dataset):
    """uint8 NHWC tiles of ``records``' images, cut as the runtime cuts a tiled region (tiles.py), image by image.

    Item ``i`` is tile ``tiles[i][1]`` of image ``tiles[i][0]``. A loader that walks the items in order (feature
    extraction does) cuts each image once.

    Args:
        records: Camera images to tile.
        size: Tile side (the model's input).
        spec: Region, scale and overlap, as in the runtime's config.
    """

    def __init__(self, records: Sequence[ImageRecord], size: int, spec: TileSpec) -> None:
        self.records = list(records)
        self.size = size
        self.spec = spec
        self.tiles = [(i, k) for i, r in enumerate(self.records) for k in range(len(image_tiles(r, size, spec)))]
        self._cut: tuple = (-1, [])

    def __len__(self) -> int:
        return len(self.tiles)

    def __getitem__(self, i: int) -> torch.Tensor:
        image, k = self.tiles[i]
        if self._cut[0] != image:
            with Image.open(self.records[image].path) as im:
                self._cut = (image, region_tiles(im, self.spec, (self.size, self.size)))
        return torch.from_numpy(self._cut[1][k])


def image_tiles(record: ImageRecord, size: int, spec: TileSpec) -> List[tuple]:
    """The tiles ``(x, y, w, h)`` of ``record``'s region at the tiling scale (its size read from the file's header)."""
    with Image.open(record.path) as im:
        width, height = im.size
    _, _, w, h = spec.region or (0, 0, width, height)
    return tile_grid(*scaled_size(w, h, spec.scale), size, size, spec.overlap)


def summarize(records: Sequence[ImageRecord]) -> Dict[str, int]:
    """Image count per class."""
    counts: Dict[str, int] = {}
    for r in records:
        counts[r.cls] = counts.get(r.cls, 0) + 1
    return counts


__all__ = ["ImageRecord", "ImageDataset", "TileDataset", "image_tiles", "DataLayoutError", "discover_classes", "refuse_test_only", "train_records", "test_records", "load_image",
           "load_mask", "summarize", "IMAGE_EXTENSIONS"]
