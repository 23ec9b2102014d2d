"""MobileNetV2 (alpha 1.0, 224), layer for layer the Keras network that nsfwjs ships, as a frozen feature extractor.

Papers:
    MobileNetV2: Inverted Residuals and Linear Bottlenecks -- https://arxiv.org/abs/1801.04381

Why this network: it is the only pretrained CNN obtainable offline here (npm ``nsfwjs``, MIT, Keras 2.2.4 weights,
ImageNet-initialised then fine-tuned by nsfwjs on its own 5-class task, 8-bit affine-quantized). See
``models/uniad/backbones/README.md`` for provenance and ``models/uniad/backbones/nsfwjs.py`` for the converter.

What is exact about the port (each point is checked against the package's own topology by ``nsfwjs.check_topology``
and numerically against TensorFlow.js by ``test/models/mobilenet-parity.test.ts``):

* Every Keras layer is one node here, under its Keras name (``block_3_expand_relu``, ``block_5_add``, ...), so taps
  are Keras layer names and the converted state dict keys are ``layers.<keras name>.<param>``.
* Stride-2 convolutions are preceded by Keras's ZeroPadding2D((0, 1), (0, 1)): one zero row at the bottom and one
  zero column at the right, none at the top or left. PyTorch's symmetric ``padding=1`` would shift every feature
  by half a pixel and not match. Stride-1 depthwise convolutions are Keras ``same`` = symmetric 1.
* BatchNorm eps 1e-3 (Keras), ReLU6, no biases in convolutions.
* Input scaling is x/255 (what nsfwjs feeds the network; the first BN's statistics match it), see ``normalize``.
* The nsfwjs classification head (7x7 average pool, flatten, dense 256/128/5) is ported too, so the converted file
  places every weight of the package and the parity test can compare the final softmax; anomaly detection taps
  stop long before it and never build it.

Input sizes: the padding is the fixed (0, 1) of the 224 topology, so use H and W that are multiples of 32 (multiples
of 16 are enough for the default taps); then each tap's size is exactly H/stride x W/stride. Head taps need 224x224.
"""
from __future__ import annotations

import os
import warnings
from typing import NamedTuple, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ['MobileNetV2', 'DEFAULT_TAPS', 'LAYERS', 'KerasLayer', 'load_checkpoint']


class KerasLayer(NamedTuple):
    """One layer of the Keras graph.

    Attributes:
        name: the Keras layer name.
        kind: the Keras class name (``Conv2D``, ``DepthwiseConv2D``, ``BatchNormalization``, ``ReLU``, ``Add``, ...).
        inputs: names of the layers it reads (``input_1`` is the network input).
        channels: channels of its output (units for ``Dense``, flattened size for ``Flatten``).
        stride: output stride of its output w.r.t. the input; 0 for non-spatial outputs (flatten and after).
        kernel: kernel size of convolutions and pooling, else 0.
        step: the layer's own stride (convolutions and pooling), else 1.
    """

    name: str
    kind: str
    inputs: tuple
    channels: int
    stride: int
    kernel: int = 0
    step: int = 1


# Keras MobileNetV2 alpha 1.0 inverted residual blocks: (expansion, output channels, stride). Block 0 is Keras's
# 'expanded_conv' (no expansion layer); blocks 1..16 are 'block_1'..'block_16'.
_BLOCKS = (
    (1, 16, 1),
    (6, 24, 2), (6, 24, 1),
    (6, 32, 2), (6, 32, 1), (6, 32, 1),
    (6, 64, 2), (6, 64, 1), (6, 64, 1), (6, 64, 1),
    (6, 96, 1), (6, 96, 1), (6, 96, 1),
    (6, 160, 2), (6, 160, 1), (6, 160, 1),
    (6, 320, 1),
)
_STEM_CHANNELS = 32
_LAST_CHANNELS = 1280
# nsfwjs's classification head on top of the Keras trunk: dense units, in order.
_HEAD_UNITS = (256, 128, 5)
_HEAD_POOL = 7


def _keras_layers() -> tuple:
    """The Keras graph of nsfwjs's MobileNetV2, in Keras's layer order (which is topological)."""
    out = []

    def add(name, kind, inputs, channels, stride, kernel=0, step=1):
        out.append(KerasLayer(name, kind, tuple(inputs), channels, stride, kernel, step))
        return name

    x = add('Conv1_pad', 'ZeroPadding2D', ['input_1'], 3, 1)
    x = add('Conv1', 'Conv2D', [x], _STEM_CHANNELS, 2, 3, 2)
    x = add('bn_Conv1', 'BatchNormalization', [x], _STEM_CHANNELS, 2)
    x = add('Conv1_relu', 'ReLU', [x], _STEM_CHANNELS, 2)
    channels, stride = _STEM_CHANNELS, 2
    for i, (expansion, out_channels, step) in enumerate(_BLOCKS):
        p = 'expanded_conv_' if i == 0 else f'block_{i}_'
        block_in, hidden = x, channels * expansion
        if expansion != 1:
            x = add(p + 'expand', 'Conv2D', [x], hidden, stride, 1)
            x = add(p + 'expand_BN', 'BatchNormalization', [x], hidden, stride)
            x = add(p + 'expand_relu', 'ReLU', [x], hidden, stride)
        if step == 2:
            x = add(p + 'pad', 'ZeroPadding2D', [x], hidden, stride)
        stride *= step
        x = add(p + 'depthwise', 'DepthwiseConv2D', [x], hidden, stride, 3, step)
        x = add(p + 'depthwise_BN', 'BatchNormalization', [x], hidden, stride)
        x = add(p + 'depthwise_relu', 'ReLU', [x], hidden, stride)
        x = add(p + 'project', 'Conv2D', [x], out_channels, stride, 1)
        x = add(p + 'project_BN', 'BatchNormalization', [x], out_channels, stride)
        if step == 1 and channels == out_channels:
            x = add(p + 'add', 'Add', [block_in, x], out_channels, stride)
        channels = out_channels
    x = add('Conv_1', 'Conv2D', [x], _LAST_CHANNELS, stride, 1)
    x = add('Conv_1_bn', 'BatchNormalization', [x], _LAST_CHANNELS, stride)
    x = add('out_relu', 'ReLU', [x], _LAST_CHANNELS, stride)
    x = add('average_pooling2d_1', 'AveragePooling2D', [x], _LAST_CHANNELS, stride * _HEAD_POOL,
            _HEAD_POOL, _HEAD_POOL)
    x = add('flatten_1', 'Flatten', [x], _LAST_CHANNELS, 0)
    for j, units in enumerate(_HEAD_UNITS):
        x = add(f'dense_{j + 1}', 'Dense', [x], units, 0)
        if j + 1 < len(_HEAD_UNITS):
            x = add(f'dropout_{j + 2}', 'Dropout', [x], units, 0)
    return tuple(out)


LAYERS: tuple = _keras_layers()
_INDEX = {layer.name: i for i, layer in enumerate(LAYERS)}

# Last feature map at each of strides 4, 8 and 16: the expanded (6x wide), post-ReLU6 input of the stride-2
# depthwise convolution that ends that resolution -- the same tap points Keras's MobileNetV2 U-Net uses. Channels
# 144, 192, 576. The network stops at block_13_expand_relu: blocks 13..16, Conv_1 and the head are never built.
DEFAULT_TAPS = ('block_3_expand_relu', 'block_6_expand_relu', 'block_13_expand_relu')


class _PadBottomRight(torch.autograd.Function):
    """F.pad(x, (0, 1, 0, 1)) that exports as a single ONNX Pad with constant pads.

    torch.onnx (1.13) writes F.pad's pads as a shape subgraph (ConstantOfShape, Concat, a step -1 Slice, ...) that
    its constant folding cannot remove; TensorRT's parser wants Pad's pads as constants.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        return F.pad(x, (0, 1, 0, 1))

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        return grad[..., :-1, :-1]

    @staticmethod
    def symbolic(g, x):
        # PyTorch 1.13 passes a torch.Graph whose .op() it flags as deprecated; 2.x passes a GraphContext.
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', FutureWarning)
            # ONNX pads order: begins of (N, C, H, W), then ends.
            pads = g.op('Constant', value_t=torch.tensor([0, 0, 0, 0, 0, 0, 1, 1], dtype=torch.int64))
            return g.op('Pad', x, pads, mode_s='constant')


class _KerasZeroPad(nn.ZeroPad2d):
    """Keras ZeroPadding2D(((0, 1), (0, 1))) before each stride-2 conv: one zero row below, one column right."""

    def __init__(self):
        super().__init__((0, 1, 0, 1))  # (left, right, top, bottom)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _PadBottomRight.apply(x)


class _KerasFlatten(nn.Module):
    """Keras Flatten on channels_last data: flattens in H, W, C order, so permute NCHW to NHWC first."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(0, 2, 3, 1).flatten(1)


class _Dense(nn.Linear):
    """Keras Dense: a linear layer and its activation ('relu' or 'softmax' here)."""

    def __init__(self, in_features: int, out_features: int, activation: str):
        super().__init__(in_features, out_features)
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = super().forward(x)
        return torch.softmax(y, dim=-1) if self.activation == 'softmax' else torch.relu(y)


def _make_module(layer: KerasLayer, in_channels: int) -> Optional[nn.Module]:
    """The PyTorch module computing one Keras layer from an input with ``in_channels`` channels (None for Add)."""
    kind = layer.kind
    if kind == 'ZeroPadding2D':
        return _KerasZeroPad()
    if kind in ('Conv2D', 'DepthwiseConv2D'):
        # Stride 2 is 'valid' after the explicit pad; stride 1 is Keras 'same', symmetric for odd kernels.
        padding = layer.kernel // 2 if layer.step == 1 else 0
        groups = in_channels if kind == 'DepthwiseConv2D' else 1
        return nn.Conv2d(in_channels, layer.channels, layer.kernel, layer.step, padding, groups=groups, bias=False)
    if kind == 'BatchNormalization':
        return nn.BatchNorm2d(layer.channels, eps=1e-3, momentum=1 - 0.999)  # Keras epsilon and momentum
    if kind == 'ReLU':
        return nn.ReLU6()
    if kind == 'AveragePooling2D':
        return nn.AvgPool2d(layer.kernel, layer.step)
    if kind == 'Flatten':
        return _KerasFlatten()
    if kind == 'Dense':
        return _Dense(in_channels, layer.channels, 'softmax' if layer.name == f'dense_{len(_HEAD_UNITS)}' else 'relu')
    if kind == 'Dropout':
        return nn.Identity()  # inference only: the backbone is a frozen feature extractor
    if kind == 'Add':
        return None
    raise ValueError(f'unknown Keras layer kind {kind!r} in {layer.name!r}')


def load_checkpoint(path: str) -> tuple:
    """Read a converted weights file: (state dict, provenance dict or None). Also accepts a bare state dict."""
    try:
        obj = torch.load(path, map_location='cpu', weights_only=True)
    except TypeError:  # PyTorch older than 1.13 has no weights_only
        obj = torch.load(path, map_location='cpu')
    if isinstance(obj, dict) and 'state_dict' in obj:
        return obj['state_dict'], obj.get('provenance')
    return obj, None


class MobileNetV2(nn.Module):
    """Keras MobileNetV2 (alpha 1.0) from nsfwjs, returning the outputs of named Keras layers.

    Args:
        taps: Keras layer names whose outputs ``forward`` returns, in this order (default ``DEFAULT_TAPS``).
            Any layer of ``LAYERS`` is accepted. Only the layers up to the deepest tap are built and run.
        weights: path of a file written by ``models.uniad.backbones.nsfwjs`` (or a bare state dict with the same
            keys); None keeps the Keras-style random init (Glorot-uniform kernels, BN identity), for ablations.

    Attributes:
        taps, out_channels, out_strides: per returned output; stride 0 marks non-spatial head outputs.
        provenance: the provenance dict recorded by the converter, or None for random init / bare state dicts.
        weights_source: the weights file, or 'random-init'.
    """

    def __init__(self, taps: Optional[Sequence[str]] = None, weights: Optional[str] = None):
        super().__init__()
        taps = list(DEFAULT_TAPS if taps is None else taps)
        unknown = [t for t in taps if t not in _INDEX]
        if not taps or unknown or len(set(taps)) != len(taps):
            raise ValueError(
                f'MobileNetV2 taps {taps!r}: need distinct Keras layer names; unknown: {unknown!r}. '
                f'Valid names are those of models.uniad.backbones.mobilenet_v2.LAYERS, e.g. {list(DEFAULT_TAPS)!r}')
        self.taps = taps
        self.graph = LAYERS[:max(_INDEX[t] for t in taps) + 1]
        self.out_channels = [LAYERS[_INDEX[t]].channels for t in taps]
        self.out_strides = [LAYERS[_INDEX[t]].stride for t in taps]
        # Drop each intermediate after its last reader, so only taps and pending residual inputs stay alive.
        last_use = {}
        for i, layer in enumerate(self.graph):
            for name in layer.inputs:
                last_use[name] = i
        self._free_after = [[n for n, j in last_use.items() if j == i and n not in taps] for i in range(len(self.graph))]

        self.layers = nn.ModuleDict()
        channels = {'input_1': 3}
        for layer in self.graph:
            module = _make_module(layer, channels[layer.inputs[0]])
            if module is not None:
                self.layers[layer.name] = module
            channels[layer.name] = layer.channels
        self._init_weights()
        self.provenance = None
        self.weights_source = 'random-init'
        if weights is not None:
            self.load_weights(weights)

    def _init_weights(self) -> None:
        # Keras defaults, so that 'random' in an ablation means this network untrained, not PyTorch's init.
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def load_weights(self, path: str) -> None:
        """Load converted weights; the file may hold more layers than this (truncated) network uses."""
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f'MobileNetV2 weights {path!r} do not exist: write them with '
                f'`/usr/bin/python3 -m models.uniad.backbones.nsfwjs --out {path}`')
        state, provenance = load_checkpoint(path)
        own = self.state_dict()
        missing = [k for k in own if k not in state]
        if missing:
            raise ValueError(f'MobileNetV2 weights {path!r} lack {len(missing)} tensors, e.g. {missing[:3]!r}: '
                             'not a converted nsfwjs MobileNetV2 file? Re-run the converter.')
        self.load_state_dict({k: state[k] for k in own}, strict=True)
        self.provenance = provenance
        self.weights_source = path

    @staticmethod
    def normalize(x: torch.Tensor) -> torch.Tensor:
        """NHWC RGB in 0..255 (uint8 or float) -> float NCHW x/255, the scaling nsfwjs trained with.

        Only Transpose, Cast and Div, so it exports into the ONNX graph as is.
        """
        return x.permute(0, 3, 1, 2).to(torch.float32) / 255.0

    def forward(self, x: torch.Tensor) -> list:
        """Outputs of ``self.taps`` for normalized NCHW input."""
        values = {'input_1': x}
        for layer, free in zip(self.graph, self._free_after):
            if layer.kind == 'Add':
                values[layer.name] = values[layer.inputs[0]] + values[layer.inputs[1]]
            else:
                values[layer.name] = self.layers[layer.name](values[layer.inputs[0]])
            for name in free:
                del values[name]
        return [values[t] for t in self.taps]
