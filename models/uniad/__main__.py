"""Command line: ``/usr/bin/python3 -m models.uniad {train,evaluate,calibrate,export} ...`` from the repo root."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import List, Optional

import torch

from .configs import PRESETS, TrainConfig, get_preset, parse_taps
from .tiles import TileSpec


class _DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` shows every default, except where there is none or the help text states it already."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default is None or action.default is False or "default" in (action.help or ""):
            return action.help or ""
        return super()._get_help_string(action)


def _add_tiles(p: argparse.ArgumentParser) -> None:
    """Options that tile each image as the runtime tiles a camera region (tiles.py, the runtime's regions[].tiles)."""
    p.add_argument("--tile-scale", type=float, help="cut each image into model-input tiles at this scale (tile pixels "
                   "per image pixel, as the camera region's tiles.scale); none: each image letterboxed whole")
    p.add_argument("--tile-overlap", type=int, default=32, help="pixels neighbouring tiles share (tiles.overlap)")
    p.add_argument("--tile-region", type=int, nargs=4, metavar=("X", "Y", "W", "H"),
                   help="the region of each image to tile, in image pixels (default: all of it)")


def _tiles(args: argparse.Namespace) -> Optional[TileSpec]:
    if args.tile_scale is None:
        return None
    return TileSpec(args.tile_scale, args.tile_overlap, tuple(args.tile_region) if args.tile_region else None)


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train one unified model on <data>/<class>/train/good of every class",
                       formatter_class=_DefaultsFormatter)
    p.add_argument("--data", required=True, help="MVTec-AD-layout root: <data>/<class>/train/good/*.png")
    p.add_argument("--out", required=True, help="run folder; receives last.pt")
    p.add_argument("--preset", default="paper", choices=sorted(PRESETS), help="architecture preset (configs.py)")
    p.add_argument("--classes", nargs="+", help="subset of classes (default: all)")
    p.add_argument("--backbone", help="registered backbone name (default: the preset's, efficientnet_b4)")
    p.add_argument("--weights", help="local pretrained weights file for the backbone (models/README.md, 'Backbones'); "
                   "without it the backbone is random and training refuses to start")
    p.add_argument("--allow-random-backbone", action="store_true",
                   help="train on a randomly initialised backbone anyway (tests, ablations: detects at chance level)")
    p.add_argument("--taps", nargs="+", help="backbone taps (block indices or layer names)")
    preset = "(default: the preset's)"
    p.add_argument("--image-size", type=int, help=f"input side in pixels {preset}")
    p.add_argument("--feature-stride", type=int, help=f"stride of the token grid {preset}")
    p.add_argument("--hidden-dim", type=int, help=f"transformer width {preset}")
    p.add_argument("--dropout", type=float, help=f"transformer dropout {preset}")
    p.add_argument("--layer-wise-query", action=argparse.BooleanOptionalAction, default=None,
                   help=f"paper §3.3 layer-wise query {preset}")
    p.add_argument("--neighbor-mask", action=argparse.BooleanOptionalAction, default=None,
                   help=f"paper §3.3 neighbor masked attention {preset}")
    p.add_argument("--neighbor-size", type=int, help=f"neighbor mask window {preset}")
    p.add_argument("--feature-jitter", action=argparse.BooleanOptionalAction, default=None,
                   help=f"paper §3.4 feature jitter {preset}")
    p.add_argument("--jitter-scale", type=float, help=f"feature jitter scale {preset}")
    d = TrainConfig()
    p.add_argument("--epochs", type=int, default=d.epochs, help="training epochs")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help="images a step")
    p.add_argument("--lr", type=float, default=d.lr, help="AdamW learning rate")
    p.add_argument("--weight-decay", type=float, default=d.weight_decay, help="AdamW weight decay")
    p.add_argument("--lr-step", type=int, default=d.lr_step, help="epochs before the learning rate drops 10x")
    p.add_argument("--seed", type=int, default=d.seed, help="random seed")
    p.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every, help="epochs between checkpoints")
    p.add_argument("--resume", action="store_true", help="continue from <out>/last.pt")
    p.add_argument("--cache-dir", help="feature cache folder (default <data>/.uniad-cache)")
    p.add_argument("--val-data", help="validation build (another seed than the reported test split) for the "
                   "learning curve: <out>/curve.json")
    p.add_argument("--eval-every", type=int, default=0, help="epochs between learning-curve points (default 0: none)")
    p.add_argument("--progress", choices=["bar", "json"], default="bar",
                   help="progress as a bar on stderr, or as JSON lines on stdout (what uniad-edge train reads)")
    _add_tiles(p)


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", required=True, help="a last.pt written by train")
    p.add_argument("--batch-size", type=int, default=8, help="images a forward pass")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m models.uniad", description=__doc__,
                                     formatter_class=_DefaultsFormatter)
    parser.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_train(sub)
    p = sub.add_parser("evaluate", help="image and pixel AUROC per class on <data>/<class>/test",
                       formatter_class=_DefaultsFormatter)
    _add_common(p)
    p.add_argument("--data", required=True, help="MVTec-AD-layout root with <class>/test")
    p.add_argument("--classes", nargs="+", help="subset of classes (default: all)")
    p.add_argument("--out", required=True, help="folder for metrics.json and metrics.md")
    p = sub.add_parser("calibrate", help="per-class thresholds (mean + k*std of normal scores)",
                       formatter_class=_DefaultsFormatter)
    _add_common(p)
    p.add_argument("--data", required=True, help="MVTec-AD-layout root of held-out normal images")
    p.add_argument("--classes", nargs="+", help="subset of classes (default: the checkpoint's)")
    p.add_argument("--split", default="train", choices=["train", "test-good"], help="normal images to calibrate on")
    p.add_argument("--k", type=float, default=3.0, help="standard deviations above the mean")
    p.add_argument("--default-rule", default="pooled", choices=["pooled", "max-class"],
                   help="defaultThreshold (cameras of mixed or unknown product): pooled mean + k*std of all classes' "
                        "normal scores, or the highest per-class threshold")
    p.add_argument("--cache-dir", help="feature cache folder (default <data>/.uniad-cache)")
    p.add_argument("--out", required=True, help="calibration JSON file")
    _add_tiles(p)
    p = sub.add_parser("export", help="ONNX (uint8 NHWC in; score, anomaly_map out) plus sidecar JSON",
                       formatter_class=_DefaultsFormatter)
    _add_common(p)
    p.add_argument("--calibration", required=True, help="JSON written by calibrate")
    p.add_argument("--out", required=True, help="x.onnx (x.json is written next to it)")
    p.add_argument("--name", default="uniad", help="model name in the sidecar")
    p.add_argument("--version", default="0.1.0", help="model version in the sidecar")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset (13-17)")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return _run(args)
    except (FileNotFoundError, ValueError) as e:  # bad data folder, option or file: a message, not a traceback
        print(f"uniad {args.command}: {e}", file=sys.stderr)
        return 2


def _json_lines(event: dict) -> None:
    print(json.dumps(event), flush=True)


def _run(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if args.command == "train":
        from .distributed import world_from_env
        from .train import train
        cfg = get_preset(
            args.preset, backbone=args.backbone, backbone_taps=parse_taps(args.taps), image_size=args.image_size,
            feature_stride=args.feature_stride, hidden_dim=args.hidden_dim, dropout=args.dropout,
            layer_wise_query=args.layer_wise_query,
            neighbor_mask=args.neighbor_mask, neighbor_size=args.neighbor_size, feature_jitter=args.feature_jitter,
            jitter_scale=args.jitter_scale)
        tcfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, weight_decay=args.weight_decay,
                           lr_step=args.lr_step, seed=args.seed, checkpoint_every=args.checkpoint_every)
        world = world_from_env()
        progress = _json_lines if args.progress == "json" else None
        result = train(args.data, args.out, cfg, tcfg, args.weights, args.classes, args.resume, args.cache_dir,
                       args.device, args.val_data, args.eval_every, args.allow_random_backbone, world, progress,
                       _tiles(args))
        if world.main:
            if progress is not None:
                progress({"event": "done", "checkpoint": result.checkpoint})
            else:
                print(f"checkpoint: {result.checkpoint}")
        return 0
    from .checkpoint import load_model
    model, meta = load_model(args.checkpoint, device)
    if args.command == "evaluate":
        from .evaluate import evaluate, write_report
        results = evaluate(model, args.data, args.classes, args.batch_size, device)
        json_path, md_path = write_report(results, args.out)
        with open(md_path) as f:
            print(f.read(), end="")
        print(f"written: {json_path} {md_path}")
    elif args.command == "calibrate":
        from .evaluate import calibrate
        calib = calibrate(model, args.data, args.classes or meta.get("classes"), args.split, args.k, args.cache_dir,
                          args.batch_size, args.default_rule, _tiles(args))
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(calib, f, indent=2)
        print(json.dumps({"thresholds": calib["thresholds"], "defaultThreshold": calib["defaultThreshold"]}, indent=2))
    elif args.command == "export":
        from .export import build_sidecar, export_onnx, write_sidecar
        with open(args.calibration) as f:
            calib = json.load(f)
        path = export_onnx(model.cpu(), args.out, args.opset)
        sidecar = write_sidecar(path, build_sidecar(model, meta, calib, args.name, args.version))
        print(f"written: {path} {sidecar}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
