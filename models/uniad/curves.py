"""Learning curves: image and pixel AUROC on a validation build against the training epoch.

The validation build must not be the test split that is reported (build the benchmark with another seed). The
backbone is frozen, so validation features are extracted once and every curve point only runs the transformer.

    /usr/bin/python3 -m models.uniad.curves --out docs/learning-curves.png RUN/curve.json [RUN2/curve.json ...]
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
import torch

from .data import ImageRecord
from .evaluate import metrics_from_predictions
from .model import UniAD


@torch.no_grad()
def score_cached(model: UniAD, features: torch.Tensor, batch_size: int = 32) -> "tuple[np.ndarray, np.ndarray]":
    """Image scores ``[N]`` and anomaly maps ``[N, H, W]`` from cached features (eval mode, restored after)."""
    was_training = model.training
    model.eval()
    scores, maps = [], []
    for chunk in features.split(batch_size):
        s, m = model.score_features(chunk)
        scores.append(s.numpy())
        maps.append(m[:, 0].numpy())
    model.train(was_training)
    return np.concatenate(scores), np.concatenate(maps)


def curve_recorder(model: UniAD, val_features: torch.Tensor, val_records: Sequence[ImageRecord], every: int,
                   last_epoch: int, out_path: Optional[str] = None
                   ) -> "tuple[List[Dict[str, Any]], Callable[[int, float], None]]":
    """Returns ``(points, record)``; ``record(epoch, loss)`` appends a point every ``every`` epochs and at the last.

    A point is ``{epoch, loss, image, pixel, perClass: {cls: {image, pixel}}, seconds}``, AUROC in percent,
    ``seconds`` the time the point took; the list is rewritten to ``out_path`` (JSON) after each point.
    """
    points: List[Dict[str, Any]] = []

    def record(epoch: int, loss: float) -> None:
        if epoch % every and epoch != last_epoch:
            return
        start = time.time()
        scores, maps = score_cached(model, val_features)
        m = metrics_from_predictions(val_records, scores, maps, model.cfg.image_size)
        points.append({"epoch": epoch, "loss": loss, "image": 100 * m["mean"]["image_auroc"],
                       "pixel": 100 * m["mean"]["pixel_auroc"],
                       "perClass": {c: {"image": 100 * v["image_auroc"], "pixel": 100 * v["pixel_auroc"]}
                                    for c, v in m["classes"].items()},
                       "seconds": round(time.time() - start, 1)})
        print(f"curve: epoch {epoch} loss {loss:.4f} val image {points[-1]['image']:.1f} "
              f"pixel {points[-1]['pixel']:.1f}", file=sys.stderr, flush=True)
        if out_path:
            with open(out_path, "w") as f:
                json.dump(points, f, indent=1)
    return points, record


def plot(curves: Dict[str, List[Dict[str, Any]]], out_png: str, title: str = "") -> None:
    """Image and pixel AUROC against epoch, one line per named curve, two panels."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharex=True)
    for name, pts in curves.items():
        ep = [p["epoch"] for p in pts]
        for ax, key in zip(axes, ("image", "pixel")):
            ax.plot(ep, [p[key] for p in pts], marker="o", ms=3, label=name)
    for ax, key in zip(axes, ("image", "pixel")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"{key} AUROC (%), validation build")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(out_png, dpi=110)


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m models.uniad.curves", description=__doc__.split("\n\n")[0])
    p.add_argument("curves", nargs="+", help="curve.json files, optionally NAME=path")
    p.add_argument("--out", required=True, help="PNG to write")
    p.add_argument("--title", default="")
    args = p.parse_args(argv)
    curves = {}
    for c in args.curves:
        name, _, path = c.rpartition("=")
        with open(path) as f:
            curves[name or path] = json.load(f)
    plot(curves, args.out, args.title)
    for name, pts in curves.items():
        best = max(pts, key=lambda q: q["image"] + q["pixel"] if not math.isnan(q["image"]) else -1)
        print(f"{name}: last epoch {pts[-1]['epoch']} image {pts[-1]['image']:.1f} pixel {pts[-1]['pixel']:.1f}; "
              f"best at epoch {best['epoch']}: {best['image']:.1f} / {best['pixel']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
