"""The TF.js graph-model runner against a numpy reference of TensorFlow's semantics, on a small written graph.

Checked: dequantization (float16 and uint8 ``q * scale + min``), "SAME" padding with the extra pixel at the bottom and
right for a stride-2 convolution on an even input, depthwise filters ``[kh, kw, in, multiplier]``, fused BiasAdd +
Relu6, broadcasting Add/Mul, Mean over H and W, and that only the sub-graph up to the taps is built.
"""
import base64
import json

import numpy as np
import pytest
import torch

from models.uniad.backbones.tfjs_graph import TfjsGraph, read_weights


def _s(text):
    return base64.b64encode(text.encode()).decode()


def _node(name, op, inputs=(), **attr):
    return {"name": name, "op": op, "input": list(inputs), "attr": attr}


def conv_same(x, w, stride, depthwise=False):
    """NHWC reference: TF 'SAME' padding (total = (ceil(n/s)-1)*s + k - n; before = total // 2)."""
    n, h, wd, c = x.shape
    kh, kw = w.shape[:2]
    oh, ow = -(-h // stride), -(-wd // stride)
    th, tw = max((oh - 1) * stride + kh - h, 0), max((ow - 1) * stride + kw - wd, 0)
    xp = np.pad(x, ((0, 0), (th // 2, th - th // 2), (tw // 2, tw - tw // 2), (0, 0)))
    out_c = c * w.shape[3] if depthwise else w.shape[3]
    y = np.zeros((n, oh, ow, out_c), np.float64)
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]  # [n, kh, kw, c]
            if depthwise:
                y[:, i, j, :] = np.einsum("nhwc,hwcm->ncm", patch, w).reshape(n, -1)
            else:
                y[:, i, j, :] = np.einsum("nhwc,hwco->no", patch, w)
    return y


@pytest.fixture()
def graph(tmp_path):
    rng = np.random.default_rng(0)
    w = rng.normal(size=(3, 3, 2, 4)).astype(np.float16)
    b = rng.normal(size=(4,)).astype(np.float32)
    q = rng.integers(0, 256, size=(3, 3, 4, 1)).astype(np.uint8)
    scale, minimum = 0.01, -1.2
    k = np.float32(0.5)
    axes = np.array([1, 2], np.int32)
    blob = w.tobytes() + b.tobytes() + q.tobytes() + k.tobytes() + axes.tobytes()
    (tmp_path / "g.bin").write_bytes(blob)
    conv_attr = {"strides": {"list": {"i": ["1", "2", "2", "1"]}}, "padding": {"s": _s("SAME")},
                 "fused_ops": {"list": {"s": [_s("BiasAdd"), _s("Relu6")]}}}
    dw_attr = {"strides": {"list": {"i": ["1", "1", "1", "1"]}}, "padding": {"s": _s("SAME")}}
    nodes = [
        _node("x", "Placeholder"), _node("w", "Const"), _node("b", "Const"), _node("q", "Const"), _node("k", "Const"),
        _node("axes", "Const"),
        _node("conv", "_FusedConv2D", ["x", "w", "b"], **conv_attr),
        _node("dw", "DepthwiseConv2dNative", ["conv", "q"], **dw_attr),
        _node("scaled", "Mul", ["k", "dw"]),
        _node("sum", "AddV2", ["conv", "scaled"]),
        _node("gap", "Mean", ["sum", "axes"], keep_dims={"b": True}),
        _node("unused", "TopKV2", ["gap", "axes"]),
    ]
    manifest = [{"paths": ["g.bin"], "weights": [
        {"name": "w", "shape": [3, 3, 2, 4], "dtype": "float32", "quantization": {"dtype": "float16"}},
        {"name": "b", "shape": [4], "dtype": "float32"},
        {"name": "q", "shape": [3, 3, 4, 1], "dtype": "float32",
         "quantization": {"dtype": "uint8", "scale": scale, "min": minimum}},
        {"name": "k", "shape": [], "dtype": "float32"},
        {"name": "axes", "shape": [2], "dtype": "int32"},
    ]}]
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"format": "graph-model", "modelTopology": {"node": nodes},
                                "weightsManifest": manifest}))
    ref = {"w": w.astype(np.float64), "b": b.astype(np.float64),
           "q": q.astype(np.float64) * scale + minimum, "k": float(k)}
    return path, ref


def test_dequantizes_float16_and_uint8(graph):
    path, ref = graph
    weights = read_weights(json.loads(path.read_text()), path.parent)
    np.testing.assert_array_equal(weights["w"], ref["w"].astype(np.float32))
    np.testing.assert_allclose(weights["q"], ref["q"], rtol=1e-6)
    assert weights["axes"].dtype == np.int32 and weights["axes"].tolist() == [1, 2]


def test_matches_tensorflow_semantics_on_an_even_input(graph):
    path, ref = graph
    x = np.random.default_rng(1).normal(size=(2, 6, 6, 2))
    conv = np.clip(conv_same(x, ref["w"], 2) + ref["b"], 0, 6)  # 6x6, stride 2: pad 0 top/left, 1 bottom/right
    total = conv + ref["k"] * conv_same(conv, ref["q"], 1, depthwise=True)
    net = TfjsGraph(str(path), ["conv", "sum", "gap"])
    with torch.no_grad():
        got = net(torch.from_numpy(x).float())
    assert [tuple(g.shape) for g in got] == [(2, 4, 3, 3), (2, 4, 3, 3), (2, 4, 1, 1)]
    np.testing.assert_allclose(got[0].permute(0, 2, 3, 1).numpy(), conv, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got[1].permute(0, 2, 3, 1).numpy(), total, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got[2][:, :, 0, 0].numpy(), total.mean(axis=(1, 2)), rtol=1e-4, atol=1e-4)
    # Symmetric padding would differ: the check above can tell the two apart.
    sym = np.clip(conv_same(np.pad(x, ((0, 0), (1, 0), (1, 0), (0, 0)))[:, :6, :6], ref["w"], 2) + ref["b"], 0, 6)
    assert not np.allclose(sym, conv, atol=1e-3)


def test_builds_only_what_the_taps_need(graph):
    path, _ = graph
    net = TfjsGraph(str(path), ["conv"])
    assert set(net.order) == {"x", "w", "b", "conv"}
    with pytest.raises(ValueError, match="no nodes named"):
        TfjsGraph(str(path), ["nope"])
