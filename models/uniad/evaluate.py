"""Evaluation (image and pixel AUROC, as UniAD §4 reports them) and score calibration for deployment.

Calibration rule: for each class, ``threshold = mean + k · std`` of the image scores of its normal images
(default ``k = 3``). ``defaultThreshold`` — for a camera whose product is not one class (``mixed``) or a class
the model did not see — is either the same rule over the normal images of all classes pooled (``pooled``, the
default) or the highest per-class threshold (``max-class``: no class's normal parts are rejected more often than
at its own threshold). ``train`` scores come from images the model was fitted on and are
optimistic (lower than on new normal parts): prefer ``test-good`` or a held-out folder when available.
"""
from __future__ import annotations

import json
import math
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from .configs import UniADConfig
from .data import ImageDataset, ImageRecord, image_tiles, load_mask, refuse_test_only, test_records, train_records
from .features import cached_features
from .metrics import auroc
from .model import UniAD
from .tiles import TileSpec, pooled_max, stitch_max


@torch.no_grad()
def predict(model: UniAD, records: Sequence[ImageRecord], batch_size: int = 8,
            device: Optional[str] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Image scores ``[N]`` and anomaly maps ``[N, H, W]`` (float32) of ``records`` through the full model."""
    device = device or next(model.parameters()).device.type
    model.eval()
    scores: List[np.ndarray] = []
    maps: List[np.ndarray] = []
    loader = DataLoader(ImageDataset(records, model.cfg.image_size), batch_size=batch_size)
    for images in tqdm(loader, desc="predict", unit="batch", leave=False):
        score, amap = model(images.to(device))
        scores.append(score.cpu().numpy())
        maps.append(amap[:, 0].cpu().numpy())
    return np.concatenate(scores), np.concatenate(maps)


def evaluate(model: UniAD, data_root: str, classes: Optional[Sequence[str]] = None, batch_size: int = 8,
             device: Optional[str] = None) -> Dict[str, Any]:
    """Per-class and mean image AUROC and pixel AUROC on ``<class>/test``.

    Pixel AUROC is computed at the model's input size with masks nearest-resized and binarised ``> 0``;
    it is NaN for a class without any mask pixel.
    """
    records = test_records(data_root, classes)
    if not records:
        raise FileNotFoundError(f"no <class>/test images under {data_root!r}")
    scores, maps = predict(model, records, batch_size, device)
    return metrics_from_predictions(records, scores, maps, model.cfg.image_size)


def metrics_from_predictions(records: Sequence[ImageRecord], scores: np.ndarray, maps: np.ndarray,
                             size: int) -> Dict[str, Any]:
    """Per-class and mean image/pixel AUROC from scores ``[N]`` and maps ``[N, size, size]`` of ``records``.

    The part of ``evaluate`` after inference, for callers that score cached features (``ablation.py``).
    """
    per_class: Dict[str, Dict[str, float]] = {}
    for cls in sorted({r.cls for r in records}):
        idx = [i for i, r in enumerate(records) if r.cls == cls]
        labels = np.array([records[i].label for i in idx])
        masks = np.stack([load_mask(records[i], size) for i in idx])
        per_class[cls] = {
            "image_auroc": auroc(scores[idx], labels),
            "pixel_auroc": auroc(maps[idx], masks),
            "images": len(idx),
            "anomalous": int(labels.sum()),
        }
    mean = {k: _nanmean([v[k] for v in per_class.values()]) for k in ("image_auroc", "pixel_auroc")}
    return {"classes": per_class, "mean": mean}


def _nanmean(values: Sequence[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return float(np.mean(finite)) if finite else float("nan")


def write_report(results: Dict[str, Any], out_dir: str) -> Tuple[str, str]:
    """Writes ``metrics.json`` and ``metrics.md`` (a markdown table) into ``out_dir``; returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    json_path, md_path = os.path.join(out_dir, "metrics.json"), os.path.join(out_dir, "metrics.md")
    with open(json_path, "w") as f:
        json.dump(results, f, indent=2)
    lines = ["| class | images | anomalous | image AUROC | pixel AUROC |", "| --- | ---: | ---: | ---: | ---: |"]
    for cls, r in results["classes"].items():
        lines.append(f"| {cls} | {r['images']} | {r['anomalous']} | {_pct(r['image_auroc'])} | "
                     f"{_pct(r['pixel_auroc'])} |")
    m = results["mean"]
    lines.append(f"| **mean** | | | **{_pct(m['image_auroc'])}** | **{_pct(m['pixel_auroc'])}** |")
    with open(md_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return json_path, md_path


def _pct(v: float) -> str:
    return "n/a" if math.isnan(v) else f"{100 * v:.1f}"


DEFAULT_RULES = ("pooled", "max-class")


def tiled_scores(records: Sequence[ImageRecord], maps: np.ndarray, tiles: TileSpec, cfg: UniADConfig) -> np.ndarray:
    """Each image's score from the maps of its tiles (``maps``: every image's tiles in order, as TileDataset gives)."""
    scores, at = [], 0
    for r in records:
        grid = image_tiles(r, cfg.image_size, tiles)
        width = max(x + w for x, _, w, _ in grid)
        height = max(y + h for _, y, _, h in grid)
        scores.append(pooled_max(stitch_max(width, height, grid, maps[at:at + len(grid)]), cfg.score_pool))
        at += len(grid)
    return np.asarray(scores, np.float64)


def calibrate(model: UniAD, data_root: str, classes: Optional[Sequence[str]] = None, split: str = "train",
              k: float = 3.0, cache_dir: Optional[str] = None, batch_size: int = 8,
              default_rule: str = "pooled", tiles: Optional[TileSpec] = None) -> Dict[str, Any]:
    """Per-class score statistics and thresholds from normal images (rule in the module docstring).

    Args:
        model: Trained model.
        data_root: MVTec-AD-layout root.
        classes: Classes to calibrate (default: all found).
        split: ``train`` (``train/good``) or ``test-good`` (``test/good``).
        k: Standard deviations above the mean.
        cache_dir: Feature cache (the train features cached by training are reused).
        batch_size: Batch size for feature extraction.
        default_rule: ``pooled`` or ``max-class`` (module docstring).
        tiles: Score each image as the runtime scores a tiled region: its tiles' maps stitched by maximum, then the
            model's pooled maximum on the stitched map (tiles.py). None: the model's score of the letterboxed image.

    Returns:
        ``{"rule", "defaultRule", "split", "k", "scoreStats": {cls: {mean, std, max, count}}, "thresholds",
        "defaultThreshold"}``.
    """
    if default_rule not in DEFAULT_RULES:
        raise ValueError(f"default_rule {default_rule!r} must be one of {DEFAULT_RULES}")
    refuse_test_only(data_root, "calibrate")
    if split == "train":
        records = train_records(data_root, classes)
    elif split == "test-good":
        records = test_records(data_root, classes, good_only=True)
    else:
        raise ValueError(f"split {split!r} must be 'train' or 'test-good'")
    if not records:
        raise FileNotFoundError(f"no normal images for split {split!r} under {data_root!r}")
    model.eval()
    feats = cached_features(model, records, cache_dir or os.path.join(data_root, ".uniad-cache"), batch_size,
                            tiles=tiles)
    device = next(model.parameters()).device
    with torch.no_grad():
        outputs = [model.score_features(chunk.to(device)) for chunk in feats.split(batch_size)]
    if tiles is None:
        scores = torch.cat([s.cpu() for s, _ in outputs]).numpy().astype(np.float64)
    else:
        scores = tiled_scores(records, torch.cat([m.cpu() for _, m in outputs])[:, 0].numpy(), tiles, model.cfg)
    stats: Dict[str, Dict[str, float]] = {}
    thresholds: Dict[str, float] = {}
    for cls in sorted({r.cls for r in records}):
        s = scores[[i for i, r in enumerate(records) if r.cls == cls]]
        stats[cls] = {"mean": float(s.mean()), "std": float(s.std()), "max": float(s.max()), "count": int(s.size)}
        thresholds[cls] = float(s.mean() + k * s.std())
    pooled = float(scores.mean() + k * scores.std())
    return {
        "rule": f"mean + {k} * std of normal-image scores", "split": split, "k": k,
        "defaultRule": "highest per-class threshold" if default_rule == "max-class"
        else f"mean + {k} * std of the normal-image scores of all classes pooled",
        "scoreStats": stats, "thresholds": thresholds,
        "defaultThreshold": max(thresholds.values()) if default_rule == "max-class" else pooled,
    }


__all__ = ["predict", "evaluate", "metrics_from_predictions", "write_report", "calibrate", "DEFAULT_RULES"]
