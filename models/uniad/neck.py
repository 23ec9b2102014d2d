"""Multi-scale feature alignment (UniAD §3.1, "MFCN" neck of the official code).

Every backbone map is resized to one grid and the maps are concatenated along channels, so each token
carries low- and high-level evidence for its image patch. The neck has no parameters.
"""
from __future__ import annotations

from typing import List, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class FeatureAlignNeck(nn.Module):
    """Resizes each map bilinearly (align_corners=True, as the official code) to ``out_stride`` and concatenates.

    Args:
        in_strides: Stride of each incoming map.
        out_stride: Stride of the output grid (16: 14×14 tokens for a 224 input).
    """

    def __init__(self, in_strides: Sequence[int], out_stride: int) -> None:
        super().__init__()
        # Constant scale factors rather than target sizes: the exported graph then keeps static H and W,
        # and with align_corners=True both sample the same positions.
        self.scales = [s / out_stride for s in in_strides]

    def forward(self, feats: List[Tensor]) -> Tensor:
        resized = [f if s == 1.0 else F.interpolate(f, scale_factor=s, mode="bilinear", align_corners=True)
                   for f, s in zip(feats, self.scales)]
        return torch.cat(resized, dim=1)


__all__ = ["FeatureAlignNeck"]
