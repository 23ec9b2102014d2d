"""EfficientNet feature extractor in the lukemelas/EfficientNet-PyTorch layout, as UniAD uses it.

EfficientNet: Tan & Le, ICML 2019, https://arxiv.org/abs/1905.11946. UniAD (§4, official MVTec config)
taps EfficientNet-B4 after blocks 1, 5, 9, 21 (24, 32, 56, 160 channels at strides 2, 4, 8, 16).

Two details of the lukemelas port are reproduced on purpose because the official UniAD weights and
results depend on them:

* "same" padding is static, computed once for the variant's native resolution (380 for B4), not for the
  actual input. At 224 the 5×5 stride-2 depthwise conv of block 6 therefore pads (2, 2, 2, 2), where
  TensorFlow-style dynamic padding would give (1, 2, 1, 2).
* BatchNorm eps is 1e-3 (TensorFlow's default).

Blocks after the last tap are not built: they would only cost time.
"""
from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import Backbone, nhwc_to_nchw_float

_logger = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class _StageArgs:
    expand: int
    kernel: int
    stride: int
    in_ch: int
    out_ch: int
    repeats: int


# EfficientNet-B0 stages; other variants scale channels and repeats.
_B0_STAGES = (
    _StageArgs(1, 3, 1, 32, 16, 1),
    _StageArgs(6, 3, 2, 16, 24, 2),
    _StageArgs(6, 5, 2, 24, 40, 2),
    _StageArgs(6, 3, 2, 40, 80, 3),
    _StageArgs(6, 5, 1, 80, 112, 3),
    _StageArgs(6, 5, 2, 112, 192, 4),
    _StageArgs(6, 3, 1, 192, 320, 1),
)

# variant → (width multiplier, depth multiplier, native resolution used for static padding)
_VARIANTS: Dict[str, Tuple[float, float, int]] = {
    "efficientnet_b0": (1.0, 1.0, 224),
    "efficientnet_b4": (1.4, 1.8, 380),
}


def _round_filters(channels: int, width: float, divisor: int = 8) -> int:
    scaled = channels * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * scaled:  # never round down by more than 10%
        rounded += divisor
    return int(rounded)


def _round_repeats(repeats: int, depth: float) -> int:
    return int(math.ceil(depth * repeats))


def static_same_padding(size: int, kernel: int, stride: int) -> Tuple[int, int]:
    """TensorFlow "same" padding (before, after) for an input of side ``size``; the extra pixel goes after."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class StaticSameConv2d(nn.Conv2d):
    """Conv2d whose "same" padding is fixed at construction for a given input side.

    Attributes:
        static_padding: (left, right, top, bottom), as ``F.pad`` takes it.
    """

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int = 1, groups: int = 1,
                 bias: bool = False, image_size: int = 1) -> None:
        before, after = static_same_padding(image_size, kernel, stride)
        # Symmetric padding folds into the conv itself, keeping the exported graph smaller.
        super().__init__(in_ch, out_ch, kernel, stride, padding=before if before == after else 0,
                         groups=groups, bias=bias)
        self.static_padding = (before, after, before, after)
        self._explicit_pad = before != after

    def forward(self, x: Tensor) -> Tensor:  # type: ignore[override]
        if self._explicit_pad:
            x = F.pad(x, self.static_padding)
        return super().forward(x)


class MBConvBlock(nn.Module):
    """Inverted residual block with squeeze-excitation (MobileNetV2/EfficientNet)."""

    def __init__(self, in_ch: int, out_ch: int, expand: int, kernel: int, stride: int,
                 image_size: int, bn_eps: float = 1e-3) -> None:
        super().__init__()
        mid = in_ch * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = StaticSameConv2d(in_ch, mid, 1, image_size=image_size)
            self._bn0 = nn.BatchNorm2d(mid, eps=bn_eps, momentum=0.01)
        self._depthwise_conv = StaticSameConv2d(mid, mid, kernel, stride, groups=mid, image_size=image_size)
        self._bn1 = nn.BatchNorm2d(mid, eps=bn_eps, momentum=0.01)
        squeezed = max(1, int(in_ch * 0.25))
        self._se_reduce = nn.Conv2d(mid, squeezed, 1)
        self._se_expand = nn.Conv2d(squeezed, mid, 1)
        self._project_conv = StaticSameConv2d(mid, out_ch, 1, image_size=image_size)
        self._bn2 = nn.BatchNorm2d(out_ch, eps=bn_eps, momentum=0.01)
        self.has_skip = stride == 1 and in_ch == out_ch

    def forward(self, x: Tensor) -> Tensor:
        y = F.silu(self._bn0(self._expand_conv(x))) if self.has_expand else x
        y = F.silu(self._bn1(self._depthwise_conv(y)))
        se = self._se_expand(F.silu(self._se_reduce(y.mean((2, 3), keepdim=True))))
        y = self._bn2(self._project_conv(y * torch.sigmoid(se)))
        # Drop-connect is a training regulariser; this backbone is always frozen, so it is omitted.
        return y + x if self.has_skip else y


class EfficientNetFeatures(Backbone):
    """EfficientNet trunk returning the outputs of selected blocks.

    Args:
        variant: Key of ``_VARIANTS``.
        taps: 0-based block indices to return; default: last block of the stride-2, 4, 8 and 16 stages
            (B4: 1, 5, 9, 21 — the official UniAD choice).
        weights: Local ImageNet checkpoint (torchvision or lukemelas layout). ``None``: random init, with a
            warning, because features of a random network make a weak anomaly detector.
    """

    def __init__(self, variant: str = "efficientnet_b4", taps: Optional[Sequence[int]] = None,
                 weights: Optional[str] = None) -> None:
        super().__init__()
        width, depth, native = _VARIANTS[variant]
        self.variant = variant
        stages = [
            _StageArgs(s.expand, s.kernel, s.stride, _round_filters(s.in_ch, width),
                       _round_filters(s.out_ch, width), _round_repeats(s.repeats, depth))
            for s in _B0_STAGES
        ]
        block_specs: List[Tuple[int, int, int, int, int, int]] = []  # in, out, expand, kernel, stride, img
        stage_ends: List[int] = []
        strides: List[int] = []
        size, stride_so_far = math.ceil(native / 2), 2
        for s in stages:
            for r in range(s.repeats):
                stride = s.stride if r == 0 else 1
                block_specs.append((s.in_ch if r == 0 else s.out_ch, s.out_ch, s.expand, s.kernel, stride, size))
                size = math.ceil(size / stride)
                stride_so_far *= stride
                strides.append(stride_so_far)
            stage_ends.append(len(block_specs) - 1)
        if taps is None:
            taps = [stage_ends[i] for i in (0, 1, 2, 4)]
        self.taps = [int(t) for t in taps]
        if any(t < 0 or t >= len(block_specs) for t in self.taps) or sorted(self.taps) != self.taps:
            raise ValueError(f"taps {self.taps} must be increasing block indices in 0..{len(block_specs) - 1}")

        stem_ch = _round_filters(32, width)
        self._conv_stem = StaticSameConv2d(3, stem_ch, 3, 2, image_size=native)
        self._bn0 = nn.BatchNorm2d(stem_ch, eps=1e-3, momentum=0.01)
        self._blocks = nn.ModuleList(
            MBConvBlock(i, o, e, k, s, img) for i, o, e, k, s, img in block_specs[: self.taps[-1] + 1]
        )
        self.out_channels = [block_specs[t][1] for t in self.taps]
        self.out_strides = [strides[t] for t in self.taps]
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1) * 255.0, persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1) * 255.0, persistent=False)
        self.weights_source = "random-init"
        if weights:
            self.load_weights(weights)
        else:
            _logger.warning(
                "%s: NO PRETRAINED WEIGHTS given, backbone is RANDOMLY INITIALISED; anomaly detection quality "
                "will be poor. Pass a local ImageNet file (see models/README.md).", variant)

    def normalize(self, x: Tensor) -> Tensor:
        """ImageNet mean/std on 0..255 RGB, NHWC → NCHW."""
        return (nhwc_to_nchw_float(x) - self.mean) / self.std

    def forward(self, x: Tensor) -> List[Tensor]:  # type: ignore[override]
        x = F.silu(self._bn0(self._conv_stem(x)))
        feats = []
        for idx, block in enumerate(self._blocks):
            x = block(x)
            if idx in self.taps:
                feats.append(x)
        return feats

    def load_weights(self, path: str) -> None:
        """Loads an ImageNet checkpoint from a local file, converting its layout; see ``checkpoint_filter_fn``."""
        state = torch.load(path, map_location="cpu")
        if isinstance(state, dict) and "state_dict" in state:
            state = state["state_dict"]
        state, layout = checkpoint_filter_fn(state, self)
        if layout == "torchvision":
            # torchvision's B0-B4 were trained with PyTorch's BatchNorm eps; keep their statistics valid.
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eps = 1e-5
            _logger.warning("torchvision EfficientNet weights use symmetric padding; this trunk keeps the "
                            "lukemelas static padding, so its stride-2 outputs are shifted by up to one pixel relative to torchvision's own model")
        missing, unexpected = self.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise ValueError(f"{path}: weights do not fit {self.variant}: missing {missing[:5]}..., "
                             f"unexpected {unexpected[:5]}...")
        self.weights_source = f"{layout}:{path}"


def checkpoint_filter_fn(state: Dict[str, Tensor], model: EfficientNetFeatures) -> Tuple[Dict[str, Tensor], str]:
    """Maps a foreign EfficientNet state dict onto ``model``'s keys.

    Returns:
        The filtered state dict and the detected layout name (``lukemelas`` or ``torchvision``).
    """
    n_blocks = len(model._blocks)
    out: Dict[str, Tensor] = {}
    if any(k.startswith("features.") for k in state):
        # torchvision: features.0 = stem, features.{1..7} = stages of blocks, each block a Sequential
        # [expand?] depthwise, SE(fc1, fc2), project; features.8 / classifier = head (not needed).
        stage_offsets, total = {}, 0
        for k in state:
            m = re.match(r"features\.(\d+)\.(\d+)\.block\.", k)
            if m:
                stage, idx = int(m.group(1)), int(m.group(2))
                stage_offsets[stage] = max(stage_offsets.get(stage, 0), idx + 1)
        starts: Dict[int, int] = {}
        for stage in sorted(stage_offsets):
            starts[stage], total = total, total + stage_offsets[stage]
        for k, v in state.items():
            if k.startswith("features.0.0."):
                out["_conv_stem." + k[len("features.0.0."):]] = v
            elif k.startswith("features.0.1."):
                out["_bn0." + k[len("features.0.1."):]] = v
            m = re.match(r"features\.(\d+)\.(\d+)\.block\.(\d+)\.(.+)", k)
            if not m:
                continue
            block = starts[int(m.group(1))] + int(m.group(2))
            if block >= n_blocks:
                continue
            has_expand = model._blocks[block].has_expand
            part, rest = int(m.group(3)) - (0 if has_expand else -1), m.group(4)
            names = {
                (0, "0"): "_expand_conv", (0, "1"): "_bn0", (1, "0"): "_depthwise_conv", (1, "1"): "_bn1",
                (2, "fc1"): "_se_reduce", (2, "fc2"): "_se_expand", (3, "0"): "_project_conv", (3, "1"): "_bn2",
            }
            head, _, tail = rest.partition(".")
            out[f"_blocks.{block}.{names[(part, head)]}.{tail}"] = v
        return out, "torchvision"
    # lukemelas layout is ours: drop the head and the blocks after the last tap.
    for k, v in state.items():
        m = re.match(r"_blocks\.(\d+)\.", k)
        if m and int(m.group(1)) >= n_blocks:
            continue
        if k.startswith(("_conv_head.", "_bn1.", "_fc.")):
            continue
        out[k] = v
    return out, "lukemelas"


def efficientnet_b0(taps: Optional[Sequence[int]] = None, weights: Optional[str] = None) -> EfficientNetFeatures:
    """EfficientNet-B0 trunk (native 224): a lighter option with the same interface."""
    return EfficientNetFeatures("efficientnet_b0", taps, weights)


def efficientnet_b4(taps: Optional[Sequence[int]] = None, weights: Optional[str] = None) -> EfficientNetFeatures:
    """EfficientNet-B4 trunk (native 380), UniAD's backbone."""
    return EfficientNetFeatures("efficientnet_b4", taps, weights)


__all__ = ["EfficientNetFeatures", "StaticSameConv2d", "MBConvBlock", "checkpoint_filter_fn",
           "static_same_padding", "efficientnet_b0", "efficientnet_b4"]
