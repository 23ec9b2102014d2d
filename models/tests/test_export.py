"""ONNX contract: uint8 NHWC 'image' in, float 'score' [N] and 'anomaly_map' [N,1,H,W] out, dynamic batch,
opset <= 17, no non-finite constants. Runtime parity with onnxruntime is test/models/export-parity.test.ts."""
import numpy as np
import onnx
import pytest
import torch
from onnx import helper, numpy_helper

from models.uniad.configs import get_preset
from models.uniad.export import check_onnx, export_onnx
from models.uniad.model import UniAD

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    torch.manual_seed(0)
    path = str(tmp_path_factory.mktemp("onnx") / "tiny.onnx")
    export_onnx(UniAD(get_preset("tiny")), path, opset=17)
    return path


def dims(v):
    return [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]


def test_signature_names_dtypes_and_dynamic_batch(exported):
    m = onnx.load(exported)
    onnx.checker.check_model(m)
    (inp,) = m.graph.input
    assert inp.name == "image" and inp.type.tensor_type.elem_type == onnx.TensorProto.UINT8
    assert dims(inp) == ["batch", 64, 64, 3]
    out = {o.name: o for o in m.graph.output}
    assert list(out) == ["score", "anomaly_map"]
    assert all(o.type.tensor_type.elem_type == onnx.TensorProto.FLOAT for o in out.values())
    assert dims(out["score"]) == ["batch"] and dims(out["anomaly_map"]) == ["batch", 1, 64, 64]
    assert max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx")) <= 17


def test_no_non_finite_constants_and_mask_is_finite(exported):
    m = onnx.load(exported)
    assert check_onnx(exported, 64) == []
    values = [numpy_helper.to_array(t) for t in m.graph.initializer]
    values += [numpy_helper.to_array(a.t) for n in m.graph.node if n.op_type == "Constant" for a in n.attribute]
    # the neighbor mask travels as a constant with the finite -1e4, not -inf
    assert any(v.size == 64 * 64 and v.min() == -1e4 for v in values)


def test_checker_flags_an_injected_inf(exported, tmp_path):
    m = onnx.load(exported)
    inf = numpy_helper.from_array(np.array([-np.inf], dtype=np.float32))
    m.graph.node.insert(0, helper.make_node("Constant", [], ["bad"], value=inf))
    bad = str(tmp_path / "bad.onnx")
    onnx.save(m, bad)
    assert any("non-finite" in p for p in check_onnx(bad, 64))


def test_opset_18_is_refused():
    with pytest.raises(ValueError, match="opset 18"):
        export_onnx(UniAD(get_preset("tiny")), "/nonexistent/x.onnx", opset=18)
