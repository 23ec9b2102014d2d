"""Graph passes of models/uniad/quantize.py (the quantisation itself needs pip onnxruntime; see its docstring)."""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from models.uniad.quantize import drop_unused_initializers, fold_pads


def _padded_conv(pads, value=0.0, mode="constant"):
    weight = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
    pads_const = helper.make_node("Constant", [], ["pads"], value=numpy_helper.from_array(np.array(pads, np.int64)))
    inputs = ["x", "pads"] + (["v"] if value != 0.0 else [])
    inits = [weight] + ([numpy_helper.from_array(np.array(value, np.float32), "v")] if value != 0.0 else [])
    nodes = [pads_const, helper.make_node("Pad", inputs, ["xp"], name="/backbone/pad", mode=mode),
             helper.make_node("Conv", ["xp", "w"], ["y"], name="/backbone/conv", strides=[2, 2], pads=[1, 0, 0, 1])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 4, 4])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_fold_pads_moves_an_asymmetric_zero_pad_into_the_conv():
    model = _padded_conv([0, 0, 0, 0, 0, 0, 1, 1])  # Keras ZeroPadding2D(((0, 1), (0, 1)))
    assert fold_pads(model) == 1
    conv = next(n for n in model.graph.node if n.op_type == "Conv")
    assert [n.op_type for n in model.graph.node if n.op_type == "Pad"] == []
    assert conv.input[0] == "x"
    assert list(next(a for a in conv.attribute if a.name == "pads").ints) == [1, 0, 1, 2]
    onnx.checker.check_model(model)


def test_fold_pads_leaves_pads_it_cannot_fold():
    assert fold_pads(_padded_conv([0, 0, 1, 1, 0, 0, 1, 1], value=1.0)) == 0  # not zero
    assert fold_pads(_padded_conv([0, 0, 1, 1, 0, 0, 1, 1], mode="reflect")) == 0
    assert fold_pads(_padded_conv([0, 1, 0, 0, 0, 0, 0, 0])) == 0  # pads channels


def test_drop_unused_initializers():
    model = _padded_conv([0, 0, 0, 0, 0, 0, 1, 1])
    model.graph.initializer.append(numpy_helper.from_array(np.zeros(2, np.float32), "orphan"))
    drop_unused_initializers(model)
    assert [i.name for i in model.graph.initializer] == ["w"]
