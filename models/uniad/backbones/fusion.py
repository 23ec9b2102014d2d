"""Several frozen networks as one backbone, each on the image at its own scale, their taps side by side.

Taps name their network and scale: ``mobilenet_v2:block_2_add`` (the image as it comes), ``mobilenet_v2@2:block_2_add``
(the image upsampled 2×, bilinear, inside the graph). A tap at scale s is average-pooled s×s, so it lands on the stride
the network has at scale 1 and the neck aligns it with the others; the pooling keeps what the finer view saw of a
1–2 px defect, which resizing by sampling would drop. A network used at two scales is one module run twice.

Weights: one file per network, as ``network=FILE`` (``mobilenet_v2=models/.cache/mobilenet_v2_nsfwjs.pt``). Why
fuse at all: the two offline networks are better on different classes, and the 2× view on different classes again
(docs/accuracy.md §8).
"""
from __future__ import annotations

import re
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import torch.nn.functional as F
from torch import Tensor, nn

from . import RANDOM_INIT, Backbone, create_backbone, nhwc_to_nchw_float

_TAP = re.compile(r"^(?P<net>[a-z0-9_]+)(?:@(?P<scale>[1-9]))?:(?P<tap>.+)$")

Weights = Union[None, str, Sequence[str], Mapping[str, str]]


def parse_tap(tap: str) -> Tuple[str, int, str]:
    """``network[@scale]:tap`` → ``(network, scale, tap)``."""
    m = _TAP.match(tap)
    if not m:
        raise ValueError(f"fusion tap {tap!r} must read network[@scale]:tap, e.g. mobilenet_v2@2:block_2_add")
    return m["net"], int(m["scale"] or 1), m["tap"]


def parse_weights(weights: Weights) -> Dict[str, str]:
    """``network=FILE`` entries (a list, or one string of them separated by commas), or a mapping, → {network: FILE}."""
    if weights is None:
        return {}
    if isinstance(weights, Mapping):
        return dict(weights)
    entries = weights.split(",") if isinstance(weights, str) else list(weights)
    out: Dict[str, str] = {}
    for entry in entries:
        net, sep, path = entry.partition("=")
        if not sep or not net or not path:
            raise ValueError(f"fusion weights {entry!r} must read network=FILE, e.g. "
                             "mobilenet_v2=models/.cache/mobilenet_v2_nsfwjs.pt")
        out[net.strip()] = path.strip()
    return out


def _runs(parsed: Sequence[Tuple[str, int, str]]) -> List[Tuple[str, int]]:
    """The distinct (network, scale) pairs of ``parsed``, in the order their first tap appears."""
    runs: List[Tuple[str, int]] = []
    for net, scale, _ in parsed:
        if (net, scale) not in runs:
            runs.append((net, scale))
    return runs


class FusedBackbone(Backbone):
    """The networks of ``taps`` (``network[@scale]:tap``), their outputs in the order of ``taps``.

    Args:
        taps: Fusion taps; every network named is built once with the union of its taps.
        weights: ``network=FILE`` per network (see ``parse_weights``); a network without one is randomly initialised
            (or refuses, if it has no random initialisation).
    """

    def __init__(self, taps: Optional[Sequence[str]] = None, weights: Weights = None) -> None:
        super().__init__()
        if not taps:
            raise ValueError("a fusion backbone needs taps, network[@scale]:tap each")
        parsed = [parse_tap(t) for t in taps]
        files = parse_weights(weights)
        unknown = sorted(set(files) - {net for net, _, _ in parsed})
        if unknown:
            raise ValueError(f"fusion weights for {unknown} name no network of the taps")
        nets: Dict[str, List[str]] = {}
        for net, _, tap in parsed:
            if tap not in nets.setdefault(net, []):
                nets[net].append(tap)
        self.nets = nn.ModuleDict({net: create_backbone(net, taps=net_taps, weights=files.get(net))
                                   for net, net_taps in nets.items()})
        self.net_taps = nets
        # Each distinct (network, scale) runs once; each output picks (run, index of the tap in that network).
        self.runs = _runs(parsed)
        self.picks = [(self.runs.index((net, scale)), nets[net].index(tap)) for net, scale, tap in parsed]
        self.out_channels = [self.nets[net].out_channels[nets[net].index(tap)] for net, _, tap in parsed]
        self.out_strides = [self.nets[net].out_strides[nets[net].index(tap)] for net, _, tap in parsed]
        self.weights_source = "; ".join(f"{net}={getattr(m, 'weights_source', RANDOM_INIT)}"
                                        for net, m in self.nets.items())

    @property
    def members(self) -> List[nn.Module]:
        """The networks this backbone runs (``is_random_init`` looks at each)."""
        return list(self.nets.values())

    def normalize(self, x: Tensor) -> Tensor:
        """NHWC 0..255 → float NCHW 0..255: each network normalises its own view in ``forward``."""
        return nhwc_to_nchw_float(x)

    def forward(self, x: Tensor) -> List[Tensor]:  # type: ignore[override]
        outputs = []
        for net, scale in self.runs:
            view = x if scale == 1 else F.interpolate(x, scale_factor=float(scale), mode="bilinear",
                                                      align_corners=False)
            module = self.nets[net]
            feats = module(module.normalize(view.permute(0, 2, 3, 1)))
            outputs.append([f if scale == 1 else F.avg_pool2d(f, scale) for f in feats])
        return [outputs[run][index] for run, index in self.picks]


__all__ = ["FusedBackbone", "parse_tap", "parse_weights"]
