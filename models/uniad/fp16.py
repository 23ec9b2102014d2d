"""FP16 variant of an exported UniAD graph, converted on the FP32 ONNX file (Debian's PyTorch cannot trace half
precision on the CPU, so the conversion works on the graph, not on the module).

What changes and what does not:

* the contract holds: input ``image`` stays uint8, outputs ``score`` and ``anomaly_map`` stay float32;
* weights and activations become float16, with float constants clamped to ±65504 (the FP16 range) instead of
  overflowing to infinity;
* kept in float32, with casts at their edges: the reconstruction-error tail — the feature difference, its L2 norm
  over channels (UniAD paper §3.4, ``Pow → ReduceSum → Sqrt``: a sum of squares of small differences underflows
  and loses digits in FP16), the upsampling and the score pooling — and the nodes FP16 is known to hurt or ONNX
  forbids: ``LayerNormalization`` (variance), ``Softmax`` (exponent range), ``Resize`` (its scales input must be
  float32).

    /usr/bin/python3 -m models.uniad.fp16 models/demo/uniad-demo.onnx /tmp/uniad-demo-fp16.onnx
"""
from __future__ import annotations

import argparse
import json
from typing import Dict, List, Set

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .export import sidecar_path

FP32_OPS = frozenset({"LayerNormalization", "Softmax", "Resize"})
FP16_MAX = float(np.finfo(np.float16).max)


def _float_tensors(model: onnx.ModelProto) -> Set[str]:
    """Names of every float32 tensor in the graph (inputs, outputs, intermediates, initializers)."""
    inferred = onnx.shape_inference.infer_shapes(model)
    g = inferred.graph
    names = {v.name for v in list(g.input) + list(g.output) + list(g.value_info) if v.type.tensor_type.elem_type == TensorProto.FLOAT}
    names |= {t.name for t in g.initializer if t.data_type == TensorProto.FLOAT}
    for node in g.node:
        if node.op_type == "Constant":
            value = next((a.t for a in node.attribute if a.name == "value"), None)
            if value is not None and value.data_type == TensorProto.FLOAT:
                names.add(node.output[0])
    return names


def _l2_tail(nodes: List[onnx.NodeProto]) -> Set[int]:
    """Indices of the node that makes the reconstruction error (the input of the norm's ``Pow``) and everything after it."""
    producer = {out: i for i, n in enumerate(nodes) for out in n.output}
    consumers: Dict[str, List[int]] = {}
    for i, n in enumerate(nodes):
        for name in n.input:
            consumers.setdefault(name, []).append(i)
    starts = [producer[n.input[0]] for n in nodes if n.op_type == "Pow" and n.input[0] in producer]
    tail: Set[int] = set()
    stack = list(starts)
    while stack:
        i = stack.pop()
        if i in tail:
            continue
        tail.add(i)
        for out in nodes[i].output:
            stack.extend(consumers.get(out, []))
    return tail


def _to_fp16(array: np.ndarray) -> np.ndarray:
    return np.clip(array, -FP16_MAX, FP16_MAX).astype(np.float16)


def convert_to_fp16(model: onnx.ModelProto) -> onnx.ModelProto:
    """The FP16 graph; ``model`` is not changed."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    g = model.graph
    floats = _float_tensors(model)
    nodes = list(g.node)
    keep = _l2_tail(nodes) | {i for i, n in enumerate(nodes) if n.op_type in FP32_OPS}
    # A constant or weight is stored in FP16 only when no FP32 node reads it; one read by both keeps an FP16 copy.
    readers: Dict[str, Set[bool]] = {}
    for i, n in enumerate(nodes):
        for name in n.input:
            readers.setdefault(name, set()).add(i in keep)

    renamed: Dict[str, str] = {}  # FP32 name -> FP16 copy, for tensors read by both kinds of node
    for init in list(g.initializer):
        if init.data_type != TensorProto.FLOAT or False not in readers.get(init.name, {True}):
            continue
        half = numpy_helper.from_array(_to_fp16(numpy_helper.to_array(init)), init.name)
        if True in readers[init.name]:
            half.name = renamed[init.name] = f"{init.name}__fp16"
            g.initializer.append(half)
        else:
            init.CopyFrom(half)

    out_nodes: List[onnx.NodeProto] = []
    for i, n in enumerate(nodes):
        if n.op_type == "Constant" and n.output[0] in floats and False in readers.get(n.output[0], set()):
            value = next(a for a in n.attribute if a.name == "value")
            half = numpy_helper.from_array(_to_fp16(numpy_helper.to_array(value.t)))
            if True in readers[n.output[0]]:
                renamed[n.output[0]] = f"{n.output[0]}__fp16"
                out_nodes.append(n)
                out_nodes.append(helper.make_node("Constant", [], [renamed[n.output[0]]], value=half))
            else:
                value.t.CopyFrom(half)
                out_nodes.append(n)
            continue
        if i not in keep:
            for a in n.attribute:
                if n.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT:
                    a.i = TensorProto.FLOAT16
                if n.op_type == "ConstantOfShape" and a.name == "value" and a.t.data_type == TensorProto.FLOAT:
                    a.t.CopyFrom(numpy_helper.from_array(_to_fp16(numpy_helper.to_array(a.t))))
        out_nodes.append(n)

    # Casts where an FP16 tensor meets an FP32 node and the other way round.
    fp16_made = {out for i, n in enumerate(nodes) if i not in keep for out in n.output if out in floats}
    fp16_made |= set(renamed.values())
    fp16_made |= {t.name for t in g.initializer if t.data_type == TensorProto.FLOAT16}
    kept = {id(n) for i, n in enumerate(nodes) if i in keep}
    final: List[onnx.NodeProto] = []
    casts: Set[str] = set()

    def cast(name: str, to: int, suffix: str) -> str:
        out = f"{name}__{suffix}"
        if out not in casts:  # one cast per tensor and direction, placed before its first reader
            casts.add(out)
            final.append(helper.make_node("Cast", [name], [out], to=to))
        return out

    for n in out_nodes:
        for slot, name in enumerate(n.input):
            if name == "" or name not in floats and name not in renamed.values():
                continue
            if id(n) in kept:
                if name in fp16_made and name not in renamed:
                    n.input[slot] = cast(name, TensorProto.FLOAT, "to_fp32")
            elif name in renamed:
                n.input[slot] = renamed[name]
            elif name not in fp16_made:
                n.input[slot] = cast(name, TensorProto.FLOAT16, "to_fp16")
        final.append(n)
    for out in g.output:
        if out.name in fp16_made:
            raise ValueError(f"output {out.name} would be FP16; the tail that makes it should be kept in FP32")
    del g.node[:]
    g.node.extend(final)
    del g.value_info[:]
    onnx.checker.check_model(model)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fp32", help="exported FP32 model (its sidecar next to it)")
    parser.add_argument("out", help="where to write the FP16 model; its sidecar is written next to it")
    args = parser.parse_args()
    onnx.save(convert_to_fp16(onnx.load(args.fp32)), args.out)
    with open(sidecar_path(args.fp32), encoding="utf-8") as f:
        sidecar = json.load(f)
    sidecar["precision"] = "fp16"
    with open(sidecar_path(args.out), "w", encoding="utf-8") as f:
        json.dump(sidecar, f, indent=2)
        f.write("\n")
    print(f"wrote {args.out} and its sidecar")


if __name__ == "__main__":
    main()
