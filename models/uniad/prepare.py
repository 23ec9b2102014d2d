"""What ``uniad-edge train`` asks of Python before it trains: the environment, the weights, the images.

    python -m models.uniad.prepare --plan plan.json      (prints one JSON object on stdout)

The plan (written by ``src/training/``) names the preset, the images to check (every training image: each must
decode) and the images to stage: letterboxed to the model's input as the runtime letterboxes camera frames
(``letterbox.py``) and written as PNG, so the runtime's calibration and evaluation read exactly what the model sees.
Masks are letterboxed with nearest-neighbour sampling and written 0/255. Nothing is staged while any image is
unreadable: the answer lists them all.

The answer: ``torch`` (version), ``cuda`` (the GPUs torch sees), ``threads``, ``imageSize``, ``weights`` (the offline
weights of the preset's networks, converted into ``models/.cache`` when absent; null for a network that has none
offline) and ``unreadable`` (``[{path, why}]``).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from PIL import Image

from .configs import UniADConfig, get_preset
from .data import load_image
from .letterbox import letterbox

CACHE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".cache")


def _mobilenet_v2() -> str:
    from .backbones.nsfwjs import ensure_weights
    return ensure_weights(CACHE_DIR)


def _mobilenet_v3() -> str:
    from .backbones.mobilenet_v3 import CONVERT_HINT
    path = os.path.join(CACHE_DIR, "mobilenet_v3_centernet.pt")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"the MobileNetV3 weights {path} are not there: " + CONVERT_HINT.format(path=path))
    return path


# The networks whose weights are obtainable offline, and where their converted file comes from.
OFFLINE = {"mobilenet_v2": _mobilenet_v2, "mobilenet_v3": _mobilenet_v3}


def offline_weights(cfg: UniADConfig) -> Optional[str]:
    """The ``--weights`` value for ``cfg``'s backbone from the offline networks, or None when it has no offline
    weights (EfficientNet: the user brings the file)."""
    if cfg.backbone == "fusion":
        from .backbones.fusion import parse_tap
        nets = list(dict.fromkeys(parse_tap(str(t))[0] for t in cfg.backbone_taps or ()))
        if not all(n in OFFLINE for n in nets):
            return None
        return ",".join(f"{n}={OFFLINE[n]()}" for n in nets)
    return OFFLINE[cfg.backbone]() if cfg.backbone in OFFLINE else None


def unreadable(paths: Sequence[str]) -> List[Dict[str, str]]:
    """The images of ``paths`` that do not decode, with why."""
    bad = []
    for path in paths:
        try:
            with Image.open(path) as im:
                im.load()
        except Exception as e:  # PIL raises OSError, SyntaxError, ValueError, DecompressionBombError, ...
            bad.append({"path": path, "why": f"{type(e).__name__}: {e}"})
    return bad


def stage(items: Sequence[Dict[str, Any]], size: int) -> None:
    """Writes each ``{src, dst, mask}`` letterboxed to ``size`` as PNG (masks nearest-sampled, 0/255)."""
    for item in items:
        os.makedirs(os.path.dirname(item["dst"]), exist_ok=True)
        if item.get("mask"):
            with Image.open(item["src"]) as im:
                mask = np.asarray(letterbox(im.convert("L"), size, size, Image.NEAREST)) > 0
            Image.fromarray((mask * 255).astype(np.uint8)).save(item["dst"])
        else:
            Image.fromarray(load_image(item["src"], size)).save(item["dst"])


def environment() -> Dict[str, Any]:
    """Torch's version, the GPUs it sees and its CPU threads."""
    import torch
    cuda = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    return {"torch": torch.__version__, "python": sys.version.split()[0], "cuda": cuda,
            "threads": torch.get_num_threads()}


def prepare(plan: Dict[str, Any]) -> Dict[str, Any]:
    """Runs the plan (module docstring); returns the answer."""
    cfg = get_preset(plan["preset"], backbone=plan.get("backbone"))
    paths = dict.fromkeys(list(plan.get("check", [])) + [i["src"] for i in plan.get("stage", [])])
    answer = dict(environment(), imageSize=cfg.image_size, unreadable=unreadable(list(paths)))
    answer["weights"] = plan.get("weights") or offline_weights(cfg)
    if not answer["unreadable"]:
        stage(plan.get("stage", []), cfg.image_size)
    return answer


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m models.uniad.prepare", description=__doc__.split("\n\n")[0])
    p.add_argument("--plan", required=True, help="the plan JSON file")
    args = p.parse_args(argv)
    with open(args.plan) as f:
        plan = json.load(f)
    try:
        answer = prepare(plan)
    except (FileNotFoundError, ValueError) as e:
        print(f"uniad prepare: {e}", file=sys.stderr)
        return 2
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
