"""PyTorch figures on a GPU for docs/performance.md: frames/s of each preset's eager forward in FP32 and FP16 at
batches 1–32, naming the card, as one JSON line.

FP16 is autocast (the backbone, the transformer and the head in half precision where PyTorch deems it safe), the way
a user would run it. Weights are random: speed does not depend on their values. On a machine without CUDA it says so
in the JSON (``"device": null`` and the reason) and exits 0, so ``npm run bench`` can report it instead of failing.

    python3 -m models.uniad.gpu_timing --presets mobilenet,paper --batches 1,2,4,8,16,32
    python3 -m models.uniad.gpu_timing --device cpu --presets tiny --batches 1,2 --precisions fp32   (what CI runs)
"""
from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time
import warnings
from typing import Dict, List, Optional

import torch

from .configs import PRESETS, get_preset
from .model import build_model


def seconds_per_batch(model: torch.nn.Module, images: torch.Tensor, rounds: int, half: bool) -> float:
    """Median seconds of one forward of ``images`` over ``rounds`` runs, after two warm-up runs."""
    device = images.device.type
    synchronize = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    times: List[float] = []
    precision = torch.autocast(device_type=device, dtype=torch.float16) if half else contextlib.nullcontext()
    with torch.no_grad(), precision:
        for i in range(rounds + 2):
            synchronize()
            start = time.perf_counter()
            model(images)
            synchronize()
            if i >= 2:
                times.append(time.perf_counter() - start)
    return statistics.median(times)


def device_name(device: str) -> Optional[str]:
    """The card's name, or ``cpu``; None when CUDA was asked for and there is none."""
    if device == "cpu":
        return "cpu"
    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument("--presets", default="mobilenet,paper", help="comma-separated presets to time")
    parser.add_argument("--batches", default="1,2,4,8,16,32")
    parser.add_argument("--precisions", default="fp32,fp16", help="fp32, fp16 (autocast) or both")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()

    presets = args.presets.split(",")
    unknown = [p for p in presets if p not in PRESETS]
    if unknown:
        parser.error(f"--presets: unknown {', '.join(unknown)} (choose from {', '.join(sorted(PRESETS))})")
    precisions = args.precisions.split(",")
    if any(p not in ("fp32", "fp16") for p in precisions):
        parser.error(f"--precisions: {args.precisions!r} (use fp32, fp16 or fp32,fp16)")
    if args.device == "cpu" and "fp16" in precisions:
        parser.error("--precisions fp16 needs --device cuda (PyTorch's CPU autocast has no float16)")
    name = device_name(args.device)
    if name is None:
        reason = f"torch {torch.__version__} sees no CUDA device (built with CUDA {torch.version.cuda})"
        print(json.dumps({"device": None, "reason": reason, "torch": torch.__version__, "rows": []}))
        return

    torch.manual_seed(0)
    rows: List[Dict[str, object]] = []
    for preset in presets:
        cfg = get_preset(preset)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "random init" is the point here, not a mistake
            model = build_model(cfg).eval().to(args.device)
        for precision in precisions:
            for batch in (int(b) for b in args.batches.split(",")):
                images = torch.randint(0, 256, (batch, cfg.image_size, cfg.image_size, 3), dtype=torch.uint8, device=args.device)
                seconds = seconds_per_batch(model, images, args.rounds, half=precision == "fp16")
                rows.append({"preset": preset, "precision": precision, "batch": batch, "msPerBatch": 1000 * seconds,
                             "fps": batch / seconds})
        del model
    print(json.dumps({"device": name, "torch": torch.__version__, "rows": rows}))


if __name__ == "__main__":
    main()
