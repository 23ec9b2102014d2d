"""FP16 conversion of an exported graph: the contract's types unchanged, the L2-norm tail and the fragile ops in
FP32, weights in FP16, constants clamped to the FP16 range. Numbers against onnxruntime: test/models/fp16.test.ts."""
import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, numpy_helper

from models.uniad.configs import get_preset
from models.uniad.export import check_onnx, export_onnx
from models.uniad.fp16 import FP16_MAX, convert_to_fp16
from models.uniad.model import UniAD

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    torch.manual_seed(0)
    path = str(tmp_path_factory.mktemp("onnx") / "tiny.onnx")
    export_onnx(UniAD(get_preset("tiny")), path, opset=17)
    fp32 = onnx.load(path)
    fp16 = convert_to_fp16(fp32)
    out = str(tmp_path_factory.mktemp("onnx") / "tiny-fp16.onnx")
    onnx.save(fp16, out)
    return fp32, fp16, out


def types(model):
    inferred = onnx.shape_inference.infer_shapes(model)
    g = inferred.graph
    return {v.name: v.type.tensor_type.elem_type for v in list(g.input) + list(g.output) + list(g.value_info)}


def test_contract_types_are_unchanged(models):
    _, fp16, path = models
    assert [(i.name, i.type.tensor_type.elem_type) for i in fp16.graph.input] == [("image", TensorProto.UINT8)]
    assert [(o.name, o.type.tensor_type.elem_type) for o in fp16.graph.output] == [("score", TensorProto.FLOAT), ("anomaly_map", TensorProto.FLOAT)]
    assert check_onnx(path, get_preset("tiny").image_size) == []


def test_weights_are_fp16(models):
    fp32, fp16, _ = models
    halves = [t for t in fp16.graph.initializer if t.data_type == TensorProto.FLOAT16]
    assert len(halves) >= 0.8 * len([t for t in fp32.graph.initializer if t.data_type == TensorProto.FLOAT])


@pytest.mark.parametrize("op", ["Pow", "ReduceSum", "Sqrt", "Resize", "LayerNormalization", "Softmax"])
def test_l2_norm_and_fragile_ops_compute_in_fp32(models, op):
    _, fp16, _ = models
    t = types(fp16)
    nodes = [n for n in fp16.graph.node if n.op_type == op]
    if not nodes:
        pytest.skip(f"the tiny preset has no {op}")
    for n in nodes:
        assert t[n.input[0]] == TensorProto.FLOAT, f"{op} {n.name} reads {n.input[0]} as {t[n.input[0]]}"


def test_backbone_convolutions_compute_in_fp16(models):
    _, fp16, _ = models
    t = types(fp16)
    convs = [n for n in fp16.graph.node if n.op_type == "Conv"]
    assert convs and all(t[n.input[0]] == TensorProto.FLOAT16 for n in convs)


def test_constants_are_clamped_to_the_fp16_range(models):
    _, fp16, _ = models
    for n in fp16.graph.node:
        if n.op_type == "Constant":
            value = numpy_helper.to_array(n.attribute[0].t)
            if value.dtype == np.float16:
                assert np.isfinite(value).all() and (np.abs(value) <= FP16_MAX).all()
