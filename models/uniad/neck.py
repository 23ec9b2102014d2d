"""Multi-scale feature alignment (UniAD §3.1, "MFCN" neck of the official code).

Every backbone map is resized to one grid and the maps are concatenated along channels, so each token
carries low- and high-level evidence for its image patch. The neck has no parameters.
"""
from __future__ import annotations

from typing import List

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class FeatureAlignNeck(nn.Module):
    """Resizes maps bilinearly (align_corners=True, as the official code) to ``size``×``size`` and concatenates.

    Args:
        size: Side of the output grid (14 for a 224 input at stride 16).
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def forward(self, feats: List[Tensor]) -> Tensor:
        resized = [
            f if f.shape[-2:] == (self.size, self.size)
            else F.interpolate(f, size=(self.size, self.size), mode="bilinear", align_corners=True)
            for f in feats
        ]
        return torch.cat(resized, dim=1)


__all__ = ["FeatureAlignNeck"]
