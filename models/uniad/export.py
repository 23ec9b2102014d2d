"""ONNX export of UniAD under the runtime's model contract (docs/architecture.md, "The model contract").

* input ``image``: uint8 ``[N, H, W, 3]`` RGB, N dynamic; cast, normalisation and NHWC→NCHW run in the graph;
* outputs ``score`` float32 ``[N]`` and ``anomaly_map`` float32 ``[N, 1, H, W]``;
* opset ≤ 17, no ``-inf`` constants (neighbor mask uses -1e4), no batch size baked in — for TensorRT FP16
  engines with dynamic-batch profiles;
* a JSON sidecar ``x.json`` next to ``x.onnx`` with classes, calibrated thresholds and provenance.
"""
from __future__ import annotations

import inspect
import json
import os
import warnings
from typing import Any, Dict, List

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from .model import UniAD

INPUT_NAME = "image"
OUTPUT_NAMES = ("score", "anomaly_map")
MAX_OPSET = 17


def export_onnx(model: UniAD, path: str, opset: int = MAX_OPSET) -> str:
    """Exports ``model`` (in eval mode) to ``path`` and validates it with ``check_onnx``.

    Args:
        model: The model; its configured image size fixes H and W.
        path: Output ``.onnx`` file.
        opset: ONNX opset, 13..17.
    """
    if not 13 <= opset <= MAX_OPSET:
        raise ValueError(f"opset {opset} unsupported: use 13..{MAX_OPSET}")
    model = model.eval()
    size = model.cfg.image_size
    # Batch 2 while tracing, so no size-1 broadcast can be mistaken for a constant batch dimension.
    example = torch.zeros((2, size, size, 3), dtype=torch.uint8)
    batch = {0: "batch"}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    # PyTorch 2.9+ exports through torch.export (dynamo, needs onnxscript) by default; the tracing exporter, the one
    # torch 1.13 has, gives the graph this contract was checked with.
    tracing = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    with torch.no_grad(), warnings.catch_warnings():
        # The tracer's notes on Python constants (scale factors, shapes fixed by the config) are expected.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (example,), path, opset_version=opset, input_names=[INPUT_NAME],
            output_names=list(OUTPUT_NAMES), dynamic_axes={INPUT_NAME: batch, "score": batch, "anomaly_map": batch},
            do_constant_folding=True, **tracing)
    _declare_output_shapes(path, size)
    problems = check_onnx(path, size)
    if problems:
        raise ValueError(f"{path} breaks the model contract: " + "; ".join(problems))
    return path


def _declare_output_shapes(path: str, size: int) -> None:
    # ONNX shape inference cannot follow the attention reshapes, so the exporter leaves H and W of
    # ``anomaly_map`` symbolic. They are fixed by the config: declare them, for runtimes that read the
    # signature (the parity test checks the shapes ORT actually produces).
    m = onnx.load(path)
    out = next(o for o in m.graph.output if o.name == "anomaly_map")
    for dim, value in zip(out.type.tensor_type.shape.dim[1:], (1, size, size)):
        dim.Clear()
        dim.dim_value = value
    onnx.save(m, path)


def _dims(value_info: onnx.ValueInfoProto) -> List[Any]:
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def check_onnx(path: str, image_size: int) -> List[str]:
    """Runs ``onnx.checker`` and checks the contract; returns the list of violations (empty = OK)."""
    m = onnx.load(path)
    onnx.checker.check_model(m)
    problems: List[str] = []
    opsets = [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")]
    if not opsets or max(opsets) > MAX_OPSET:
        problems.append(f"opset {opsets} above {MAX_OPSET}")
    inputs, outputs = list(m.graph.input), list(m.graph.output)
    expected_in = [(INPUT_NAME, onnx.TensorProto.UINT8, ["batch", image_size, image_size, 3])]
    expected_out = [("score", onnx.TensorProto.FLOAT, ["batch"]),
                    ("anomaly_map", onnx.TensorProto.FLOAT, ["batch", 1, image_size, image_size])]
    for got, want in ((inputs, expected_in), (outputs, expected_out)):
        actual = [(v.name, v.type.tensor_type.elem_type, _dims(v)) for v in got]
        if actual != want:
            problems.append(f"graph signature {actual} != {want}")
    for tensor in _constants(m):
        arr = numpy_helper.to_array(tensor)
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            problems.append(f"non-finite constant {tensor.name!r}")
    return problems


def _constants(m: onnx.ModelProto) -> List[onnx.TensorProto]:
    tensors = list(m.graph.initializer)
    for node in m.graph.node:
        if node.op_type == "Constant":
            tensors += [a.t for a in node.attribute if a.type == onnx.AttributeProto.TENSOR]
    return tensors


def build_sidecar(model: UniAD, meta: Dict[str, Any], calibration: Dict[str, Any], name: str,
                  version: str) -> Dict[str, Any]:
    """The sidecar the TypeScript runtime validates (exact field set of its model type).

    Args:
        model: Exported model.
        meta: Checkpoint meta (classes, data summary, recipe, backbone provenance, losses).
        calibration: Output of ``evaluate.calibrate``.
        name: Model name.
        version: Model version string.
    """
    classes = list(meta["classes"])
    missing = [c for c in classes if c not in calibration["thresholds"]]
    if missing:
        raise ValueError(f"calibration has no threshold for classes {missing}; calibrate on the training classes")
    cfg = model.cfg
    return {
        "name": name,
        "version": version,
        "input": {"height": cfg.image_size, "width": cfg.image_size},
        "classes": classes,
        "thresholds": {c: float(calibration["thresholds"][c]) for c in classes},
        "defaultThreshold": float(calibration["defaultThreshold"]),
        "backbone": cfg.backbone,
        "scoreStats": {c: {k: float(calibration["scoreStats"][c][k]) for k in ("mean", "std", "max")}
                       for c in classes},
        # The score rule, for the runtime to apply to a region's stitched or masked map (src/tiles/score.ts).
        "scorePool": cfg.score_pool,
        "training": {
            "data": meta.get("data"),
            "config": cfg.to_dict(),
            "ablation": {"layer_wise_query": cfg.layer_wise_query, "neighbor_mask": cfg.neighbor_mask,
                         "feature_jitter": cfg.feature_jitter},
            "recipe": meta.get("train"),
            "epochs": meta.get("epochs_done"),
            "seed": (meta.get("train") or {}).get("seed"),
            "finalLoss": (meta.get("losses") or [None])[-1],
            "backboneWeights": meta.get("backbone_weights"),
            "calibration": {"rule": calibration["rule"], "split": calibration["split"],
                            "defaultRule": calibration.get("defaultRule")},
        },
    }


def sidecar_path(onnx_path: str) -> str:
    """``x.onnx`` → ``x.json``."""
    return os.path.splitext(onnx_path)[0] + ".json"


def write_sidecar(onnx_path: str, sidecar: Dict[str, Any]) -> str:
    """Writes the sidecar next to ``onnx_path``; returns its path."""
    path = sidecar_path(onnx_path)
    with open(path, "w") as f:
        json.dump(sidecar, f, indent=2)
    return path


__all__ = ["export_onnx", "check_onnx", "build_sidecar", "write_sidecar", "sidecar_path", "INPUT_NAME",
           "OUTPUT_NAMES", "MAX_OPSET"]
