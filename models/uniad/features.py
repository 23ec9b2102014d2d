"""Backbone feature extraction and its on-disk cache.

The backbone is frozen and training uses no augmentation (official MVTec recipe), so the aligned neck
features of each training image never change: they are computed once and the transformer trains on them.
This is what makes CPU training feasible (the backbone dominates a forward pass).
"""
from __future__ import annotations

import hashlib
import json
import os
from typing import Optional, Sequence

import torch
from torch import Tensor
from torch.utils.data import DataLoader
from tqdm import tqdm

from .data import ImageDataset, ImageRecord, TileDataset
from .tiles import TileSpec
from .model import UniAD


def backbone_fingerprint(model: UniAD) -> str:
    """Hash of the backbone's weights and buffers: two random inits, or two weight files, never collide."""
    h = hashlib.sha256()
    for name, t in sorted(model.backbone.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def cache_key(model: UniAD, records: Sequence[ImageRecord], tiles: Optional[TileSpec] = None) -> str:
    """Key over everything the features depend on: backbone, taps, sizes, tiling and each file's identity."""
    files = []
    for r in records:
        st = os.stat(r.path)
        files.append([os.path.abspath(r.path), st.st_size, st.st_mtime_ns])
    desc = {
        "backbone": model.cfg.backbone, "taps": model.cfg.to_dict()["backbone_taps"],
        "weights": backbone_fingerprint(model), "image_size": model.cfg.image_size,
        "feature_size": model.cfg.feature_size, "files": files,
    }
    if tiles is not None:  # untiled keys stay as they were: existing caches keep hitting
        desc["tiles"] = [tiles.scale, tiles.overlap, list(tiles.region) if tiles.region else None]
    return hashlib.sha256(json.dumps(desc, sort_keys=True).encode()).hexdigest()[:20]


@torch.no_grad()
def extract_features(model: UniAD, records: Sequence[ImageRecord], batch_size: int = 8,
                     device: Optional[str] = None, desc: str = "features", tiles: Optional[TileSpec] = None) -> Tensor:
    """Aligned features ``[N, C, h, w]`` (float32, CPU) of ``records`` (of their tiles, in order, with ``tiles``)."""
    device = device or next(model.parameters()).device.type
    size = model.cfg.image_size
    dataset = ImageDataset(records, size) if tiles is None else TileDataset(records, size, tiles)
    loader = DataLoader(dataset, batch_size=batch_size)
    out = [model.forward_features(images.to(device)).cpu()
           for images in tqdm(loader, desc=desc, unit="batch", leave=False)]
    return torch.cat(out) if out else torch.empty(0)


def cached_features(model: UniAD, records: Sequence[ImageRecord], cache_dir: str, batch_size: int = 8,
                    device: Optional[str] = None, tiles: Optional[TileSpec] = None) -> Tensor:
    """``extract_features`` through a cache file ``<cache_dir>/<key>.pt``; a stale key simply misses."""
    os.makedirs(cache_dir, exist_ok=True)
    path = os.path.join(cache_dir, f"{model.cfg.backbone}-{cache_key(model, records, tiles)}.pt")
    if os.path.isfile(path):
        return torch.load(path)
    feats = extract_features(model, records, batch_size, device, desc=f"caching {len(records)} images", tiles=tiles)
    tmp = path + ".tmp"
    torch.save(feats, tmp)
    os.replace(tmp, path)  # atomic: an interrupted run never leaves a truncated cache behind
    return feats


__all__ = ["backbone_fingerprint", "cache_key", "extract_features", "cached_features"]
