"""Static int8 quantisation of an exported UniAD model for onnxruntime's CPU execution provider, and its accuracy
against the FP32 model on the benchmark.

Not part of the paper (You et al., 2022): a deployment step. The backbone (UniAD §3.1: a frozen CNN feature
extractor, where most of the time goes) gets int8 weights (per output channel) and uint8 activations as QDQ pairs
(onnxruntime's ``quantize_static``, MinMax calibration on normal training images); onnxruntime runs those with its
int8 kernels (VNNI / AMX where the CPU has them). The whole backbone is quantised, padding, activations and residual
adds included, so activations stay int8 from its input to its taps: a quantise/dequantise pair around each convolution
alone cost more than the int8 convolutions saved (measured: docs/performance.md). The reconstruction transformer, the
error map and the score stay FP32: a defect is a small difference between two feature maps, and that difference must
not be rounded away. Thresholds are recalibrated on the quantised model's own scores (the FP32 sidecar's rule), since
quantisation moves scores.

Needs Python onnxruntime, which Debian does not package (pip, e.g. in a venv)::

    python3 -m venv .cache/ortpy && .cache/ortpy/bin/pip install onnxruntime==1.30.0 onnx torch numpy pillow tqdm
    .cache/ortpy/bin/python -m models.uniad.quantize --model models/demo/uniad-demo.onnx \\
        --calibration /tmp/uniad-bench --heldout /tmp/uniad-heldout --evaluate /tmp/uniad-bench \\
        --out models/demo/uniad-demo-int8.onnx
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from .data import ImageRecord, load_image, test_records, train_records
from .evaluate import metrics_from_predictions

#: Operator types quantised, inside the backbone only.
QUANTIZED_OPS = ("Conv", "Pad", "Clip", "Relu", "Add", "MaxPool", "AveragePool")

#: Node name prefix of the backbone in our exports (``UniAD.backbone``, models/uniad/model.py).
BACKBONE_SCOPE = "/backbone/"


def calibration_records(root: str, per_class: int) -> List[ImageRecord]:
    """The first ``per_class`` normal training images of every class (never test images)."""
    by_class: Dict[str, List[ImageRecord]] = {}
    for r in train_records(root):
        by_class.setdefault(r.cls, []).append(r)
    return [r for records in by_class.values() for r in records[:per_class]]


def fold_pads(model: "onnx.ModelProto") -> int:
    """Folds each zero ``Pad`` that feeds only a ``Conv`` into the convolution's own (asymmetric) ``pads``.

    Keras-style backbones pad stride-2 convolutions asymmetrically with a separate op (ZeroPadding2D). onnxruntime
    fuses that away in FP32, but not between quantise/dequantise pairs, where it stays a float op with a dequantise
    before and a quantise after it. Returns the number of pads folded.
    """
    import onnx
    from onnx import numpy_helper

    g = model.graph
    constants = {n.output[0]: numpy_helper.to_array(n.attribute[0].t) for n in g.node
                 if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value"}
    constants.update({i.name: numpy_helper.to_array(i) for i in g.initializer})
    consumers: Dict[str, List[Any]] = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    folded = []
    for pad in [n for n in g.node if n.op_type == "Pad"]:
        users = consumers.get(pad.output[0], [])
        mode = next((a.s for a in pad.attribute if a.name == "mode"), b"constant")
        pads = constants.get(pad.input[1]) if len(pad.input) > 1 else None
        value = constants.get(pad.input[2]) if len(pad.input) > 2 and pad.input[2] else np.zeros(1)
        if (len(users) != 1 or users[0].op_type != "Conv" or mode != b"constant" or pads is None or pads.size != 8
                or np.any(value != 0) or np.any(pads[[0, 1, 4, 5]] != 0)):
            continue
        conv = users[0]
        attrs = {a.name: a for a in conv.attribute}
        if "auto_pad" in attrs and attrs["auto_pad"].s not in (b"", b"NOTSET"):
            continue
        old = list(attrs["pads"].ints) if "pads" in attrs else [0, 0, 0, 0]
        new = [old[0] + int(pads[2]), old[1] + int(pads[3]), old[2] + int(pads[6]), old[3] + int(pads[7])]
        if "pads" in attrs:
            conv.attribute.remove(attrs["pads"])
        conv.attribute.append(onnx.helper.make_attribute("pads", new))
        conv.input[0] = pad.input[0]
        folded.append(pad)
    for pad in folded:
        g.node.remove(pad)
    return len(folded)


def drop_unused_initializers(model: "onnx.ModelProto") -> None:
    """Removes initializers no node reads (the quantiser leaves the bounds of the clips it folded)."""
    used = {i for n in model.graph.node for i in n.input}
    for init in [i for i in model.graph.initializer if i.name not in used]:
        model.graph.initializer.remove(init)


class _ImageReader:
    """onnxruntime ``CalibrationDataReader``: one uint8 ``[1, H, W, 3]`` image per call, as the runtime feeds it."""

    def __init__(self, records: Sequence[ImageRecord], size: int) -> None:
        self._images: Iterator[np.ndarray] = (load_image(r.path, size)[None] for r in records)

    def get_next(self) -> Optional[Dict[str, np.ndarray]]:
        image = next(self._images, None)
        return None if image is None else {"image": image}


def quantize(model_path: str, out_path: str, records: Sequence[ImageRecord], size: int) -> str:
    """Writes the QDQ int8 model of ``model_path`` to ``out_path``, calibrated on ``records``."""
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with tempfile.TemporaryDirectory() as tmp:
        padless = os.path.join(tmp, "padless.onnx")
        model = onnx.load(model_path)
        fold_pads(model)
        onnx.save(model, padless)
        pre = os.path.join(tmp, "pre.onnx")
        quant_pre_process(padless, pre, skip_symbolic_shape=True)
        backbone = [n.name for n in onnx.load(pre).graph.node if n.name.startswith(BACKBONE_SCOPE)]
        if not backbone:
            raise ValueError(f"{model_path}: no node named {BACKBONE_SCOPE}*; is it an export of models/uniad?")
        quantize_static(pre, out_path, _ImageReader(records, size), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        op_types_to_quantize=list(QUANTIZED_OPS), nodes_to_quantize=backbone,
                        calibrate_method=CalibrationMethod.MinMax)
    quantized = onnx.load(out_path)
    drop_unused_initializers(quantized)
    onnx.save(quantized, out_path)
    return out_path


def predict(model_path: str, records: Sequence[ImageRecord], size: int, batch: int = 8) -> Tuple[np.ndarray, np.ndarray]:
    """Image scores ``[N]`` and anomaly maps ``[N, H, W]`` of ``records`` through onnxruntime (CPU)."""
    import onnxruntime as ort

    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    scores: List[np.ndarray] = []
    maps: List[np.ndarray] = []
    for i in range(0, len(records), batch):
        images = np.stack([load_image(r.path, size) for r in records[i:i + batch]])
        score, amap = session.run(["score", "anomaly_map"], {"image": images})
        scores.append(score)
        maps.append(amap[:, 0])
    return np.concatenate(scores), np.concatenate(maps)


def thresholds(scores: np.ndarray, records: Sequence[ImageRecord], k: float) -> Dict[str, Any]:
    """Per-class ``mean + k·std`` of normal-image scores and the highest of them as default (evaluate.calibrate's rule)."""
    stats: Dict[str, Dict[str, float]] = {}
    per_class: Dict[str, float] = {}
    for cls in sorted({r.cls for r in records}):
        s = scores[[i for i, r in enumerate(records) if r.cls == cls]].astype(np.float64)
        stats[cls] = {"mean": float(s.mean()), "std": float(s.std()), "max": float(s.max()), "count": int(s.size)}
        per_class[cls] = float(s.mean() + k * s.std())
    return {"scoreStats": stats, "thresholds": per_class, "defaultThreshold": max(per_class.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="the FP32 model (.onnx with its .json sidecar)")
    parser.add_argument("--calibration", required=True, help="benchmark root whose train/good images calibrate")
    parser.add_argument("--per-class", type=int, default=8, help="calibration images per class")
    parser.add_argument("--heldout", help="root whose test/good images recalibrate the thresholds (default: keep)")
    parser.add_argument("--k", type=float, default=3.0, help="threshold = mean + k * std (as the FP32 sidecar)")
    parser.add_argument("--evaluate", help="benchmark root whose test split compares FP32 and int8 AUROC")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    import onnxruntime as ort

    with open(os.path.splitext(args.model)[0] + ".json") as f:
        sidecar: Dict[str, Any] = json.load(f)
    size = int(sidecar["input"]["height"])
    records = calibration_records(args.calibration, args.per_class)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    quantize(args.model, args.out, records, size)
    note: Dict[str, Any] = {
        "from": os.path.basename(args.model), "tool": f"onnxruntime {ort.__version__} quantize_static",
        "format": "QDQ, int8 weights per channel, uint8 activations, MinMax calibration",
        "operators": list(QUANTIZED_OPS), "scope": f"nodes named {BACKBONE_SCOPE}*", "calibrationImages": len(records),
    }
    if args.heldout:
        held = test_records(args.heldout, good_only=True)
        scores, _ = predict(args.out, held, size)
        sidecar.update(thresholds(scores, held, args.k))
        note["thresholds"] = f"recalibrated: mean + {args.k} * std of int8 scores of {len(held)} held-out normal images"
    if args.evaluate:
        test = test_records(args.evaluate)
        for name, path in (("fp32", args.model), ("int8", args.out)):
            scores, maps = predict(path, test, size)
            metrics = metrics_from_predictions(test, scores, maps, size)
            note[name] = {"imageAuroc": metrics["mean"]["image_auroc"], "pixelAuroc": metrics["mean"]["pixel_auroc"],
                          "perClassImageAuroc": {c: v["image_auroc"] for c, v in metrics["classes"].items()}}
            print(json.dumps({name: note[name]["imageAuroc"], "pixel": note[name]["pixelAuroc"]}), flush=True)
    sidecar["version"] = f"{sidecar['version']}+int8"
    sidecar["quantization"] = note
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(sidecar, f, indent=2)
        f.write("\n")
    print(json.dumps(note))


if __name__ == "__main__":
    main()
