"""The paper's ablation (UniAD §4.4) on one data root, every row under the same budget, unified setting.

Rows, in order: plain transformer reconstruction → + layer-wise query → + neighbor masked attention →
+ feature jitter (= full UniAD), and full UniAD on a randomly initialised backbone instead of the pretrained one.
Every row trains one model over all ``--classes`` with the same preset, recipe, seed and epochs; it is scored on
cached test features (the backbone is frozen, so this equals ``evaluate`` on images) for image and pixel AUROC.

``<out>/results.json`` and ``<out>/results.md`` are rewritten after every row; rerunning with the same options
skips rows already done (a row's key is its full config and recipe), so an interrupted run picks up where it was.

    /usr/bin/python3 -m models.uniad.ablation --data DATA --out runs/ablation --preset mobilenet \\
        --weights models/.cache/mobilenet_v2_nsfwjs.pt --epochs 10 [--classes a b] [--rows plain full]
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
from tqdm import tqdm

from .curves import curve_recorder, score_cached
from .configs import PRESETS, TrainConfig, UniADConfig, ablation_overrides, get_preset, parse_taps
from .data import test_records, train_records
from .evaluate import metrics_from_predictions
from .features import cached_features
from .model import UniAD
from .train import seed_everything, train_on_features


@dataclass(frozen=True)
class AblationRow:
    """One row of the table.

    Attributes:
        key: Short name used on the command line.
        label: Row label in the table.
        switches: ``ablation_overrides`` arguments.
        pretrained: Whether the backbone loads ``--weights`` (False: random init, seeded).
    """

    key: str
    label: str
    switches: Dict[str, bool]
    pretrained: bool = True


ROWS: List[AblationRow] = [
    AblationRow("plain", "plain transformer reconstruction",
                dict(layer_wise_query=False, neighbor_mask=False, feature_jitter=False)),
    AblationRow("lwq", "+ layer-wise query", dict(layer_wise_query=True, neighbor_mask=False, feature_jitter=False)),
    AblationRow("mask", "+ neighbor masked attention",
                dict(layer_wise_query=True, neighbor_mask=True, feature_jitter=False)),
    AblationRow("full", "+ feature jitter (full UniAD)",
                dict(layer_wise_query=True, neighbor_mask=True, feature_jitter=True)),
    AblationRow("random", "full UniAD, random-init backbone",
                dict(layer_wise_query=True, neighbor_mask=True, feature_jitter=True), pretrained=False),
]


def run_row(row: AblationRow, base: UniADConfig, tcfg: TrainConfig, data_root: str, weights: Optional[str],
            classes: Optional[Sequence[str]], cache_dir: str, val_root: Optional[str] = None,
            eval_every: int = 0) -> Dict[str, Any]:
    """Trains and scores one row; returns its result record (metrics, loss, seconds, learning curve).

    With ``val_root`` (a build with another seed) and ``eval_every`` > 0 the record has ``curve``: validation image
    and pixel AUROC every ``eval_every`` epochs (``curves.curve_recorder``).
    """
    cfg = base.replace(**ablation_overrides(**row.switches))
    seed_everything(tcfg.seed)  # the random-init backbone is drawn from this seed too
    model = UniAD(cfg, weights if row.pretrained else None)
    train_recs, test_recs = train_records(data_root, classes), test_records(data_root, classes)
    train_feats = cached_features(model, train_recs, cache_dir, 32)
    test_feats = cached_features(model, test_recs, cache_dir, 32)
    curve: List[Dict[str, Any]] = []
    on_epoch = None
    if val_root and eval_every > 0:
        val_recs = test_records(val_root, sorted({r.cls for r in train_recs}))
        val_feats = cached_features(model, val_recs, os.path.join(val_root, ".uniad-cache"), 32)
        curve, record = curve_recorder(model, val_feats, val_recs, eval_every, tcfg.epochs)
        on_epoch = lambda epoch, loss, _state: record(epoch, loss)  # noqa: E731
    seed_everything(tcfg.seed)  # same batch order and jitter stream for every row
    start = time.time()
    losses = train_on_features(model, train_feats, tcfg, on_epoch=on_epoch)
    train_s = time.time() - start - sum(p.get("seconds", 0.0) for p in curve)
    scores, maps = score_cached(model, test_feats)
    metrics = metrics_from_predictions(test_recs, scores, maps, cfg.image_size)
    return {"key": row.key, "label": row.label, "switches": row.switches, "pretrained": row.pretrained,
            "config": cfg.to_dict(), "recipe": tcfg.to_dict(), "train_images": len(train_recs),
            "test_images": len(test_recs), "final_loss": losses[-1], "train_seconds": round(train_s, 1),
            "metrics": metrics, "curve": curve, "torch": torch.__version__}


def _row_id(result_or_cfg: Dict[str, Any]) -> str:
    return json.dumps({k: result_or_cfg[k] for k in ("config", "recipe", "pretrained", "train_images")},
                      sort_keys=True)


def _pct(v: float) -> str:
    return "n/a" if v is None or math.isnan(v) else f"{100 * v:.1f}"


def write_table(results: List[Dict[str, Any]], out_dir: str) -> str:
    """Writes ``results.json`` and ``results.md`` (one line per row, mean AUROCs); returns the markdown path."""
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    lines = ["| row | layer-wise query | neighbor mask | feature jitter | backbone | image AUROC | pixel AUROC "
             "| final loss | train s |", "| --- | :-: | :-: | :-: | --- | ---: | ---: | ---: | ---: |"]
    tick = {True: "✓", False: "–"}
    for r in results:
        s, m = r["switches"], r["metrics"]["mean"]
        lines.append(f"| {r['label']} | {tick[s['layer_wise_query']]} | {tick[s['neighbor_mask']]} | "
                     f"{tick[s['feature_jitter']]} | {'pretrained' if r['pretrained'] else 'random init'} | "
                     f"{_pct(m['image_auroc'])} | {_pct(m['pixel_auroc'])} | {r['final_loss']:.4f} | "
                     f"{r['train_seconds']:.0f} |")
    md = os.path.join(out_dir, "results.md")
    with open(md, "w") as f:
        f.write("\n".join(lines) + "\n")
    return md


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m models.uniad.ablation", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="MVTec-AD-layout root")
    p.add_argument("--out", required=True, help="folder for results.json / results.md")
    p.add_argument("--preset", default="mobilenet", choices=sorted(PRESETS))
    p.add_argument("--backbone")
    p.add_argument("--taps", nargs="+")
    p.add_argument("--weights", help="pretrained backbone weights (rows other than 'random')")
    p.add_argument("--classes", nargs="+", help="subset of classes (default: all)")
    p.add_argument("--rows", nargs="+", choices=[r.key for r in ROWS], help="rows to run (default: all)")
    d = TrainConfig()
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--lr-step", type=int, help="StepLR period (default: 80%% of --epochs)")
    p.add_argument("--weight-decay", type=float, default=d.weight_decay)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--cache-dir", help="feature cache folder (default <data>/.uniad-cache)")
    p.add_argument("--val-data", help="validation build (another seed) for learning curves in results.json")
    p.add_argument("--eval-every", type=int, default=0, help="epochs between learning-curve points (default 0)")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    base = get_preset(args.preset, backbone=args.backbone, backbone_taps=parse_taps(args.taps))
    lr_step = args.lr_step or max(1, round(0.8 * args.epochs))
    tcfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, lr_step=lr_step,
                       weight_decay=args.weight_decay, seed=args.seed, checkpoint_every=args.epochs)
    rows = [r for r in ROWS if not args.rows or r.key in args.rows]
    results_path = os.path.join(args.out, "results.json")
    done: List[Dict[str, Any]] = []
    if os.path.isfile(results_path):
        with open(results_path) as f:
            done = json.load(f)
    cache_dir = args.cache_dir or os.path.join(args.data, ".uniad-cache")
    classes = args.classes
    n_train = len(train_records(args.data, classes))
    for row in tqdm(rows, desc="ablation", unit="row"):
        want = _row_id({"config": base.replace(**ablation_overrides(**row.switches)).to_dict(),
                        "recipe": tcfg.to_dict(), "pretrained": row.pretrained, "train_images": n_train})
        if any(_row_id(r) == want for r in done):
            tqdm.write(f"{row.key}: already in {results_path}, skipped")
            continue
        result = run_row(row, base, tcfg, args.data, args.weights, classes, cache_dir, args.val_data,
                         args.eval_every)
        done = [r for r in done if r["key"] != row.key] + [result]
        done.sort(key=lambda r: [x.key for x in ROWS].index(r["key"]))
        md = write_table(done, args.out)
        m = result["metrics"]["mean"]
        tqdm.write(f"{row.key}: image AUROC {_pct(m['image_auroc'])} pixel AUROC {_pct(m['pixel_auroc'])} "
                   f"({result['train_seconds']:.0f} s training)")
    if done:
        with open(write_table(done, args.out)) as f:
            print(f.read(), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
