"""PyTorch side of the speed benchmark (``bench/torch-reference.ts``, ``bench/pipeline.ts --torch``): time the eager
forward of a preset, export the same weights to ONNX for onnxruntime-node to time, and print the result as one JSON
line.

Speed does not depend on the weights' values, so the model is built with random weights (no weights file needed);
the exported ONNX carries exactly those weights and a stub sidecar, so the runtime times the same network.

    /usr/bin/python3 -m models.uniad.timing --preset mobilenet --batch 8 --out /tmp/bench.onnx
"""
from __future__ import annotations

import argparse
import json
import time
import warnings
from typing import List

import torch

from .configs import PRESETS, get_preset
from .export import export_onnx, write_sidecar
from .model import build_model


def time_forward(model: torch.nn.Module, images: torch.Tensor, rounds: int) -> List[float]:
    """Seconds per forward of ``images``, one entry per round, after one warm-up round."""
    times: List[float] = []
    with torch.no_grad():
        model(images)
        for _ in range(rounds):
            start = time.perf_counter()
            model(images)
            times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="mobilenet", choices=sorted(PRESETS))
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads; 0 = torch's default")
    parser.add_argument("--out", required=True, help="where to write the ONNX file (and its sidecar)")
    args = parser.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = get_preset(args.preset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "random init" is the point here, not a mistake
        model = build_model(cfg).eval()
    images = torch.randint(0, 256, (args.batch, cfg.image_size, cfg.image_size, 3), dtype=torch.uint8)
    times = time_forward(model, images, args.rounds)
    export_onnx(model, args.out)
    write_sidecar(args.out, {
        "name": f"bench-{args.preset}", "version": "0", "input": {"height": cfg.image_size, "width": cfg.image_size},
        "classes": ["bench"], "thresholds": {"bench": 1.0}, "defaultThreshold": 1.0, "backbone": cfg.backbone,
        "training": {"note": "random weights, for timing only"},
    })
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "preset": args.preset,
                      "batch": args.batch, "seconds": times, "onnx": args.out}))


if __name__ == "__main__":
    main()
