"""Feature jitter (UniAD §3.4).

During training, tokens are perturbed with Gaussian noise scaled by their own magnitude and the model must
reconstruct the clean features: a denoising task that keeps it from learning an identity mapping.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn


def feature_jitter(tokens: Tensor, scale: float, noise: Optional[Tensor] = None) -> Tensor:
    """Returns ``tokens + N(0, 1) · ‖token‖₂ / C · scale`` per token.

    Args:
        tokens: ``[..., C]`` features, the norm is taken over the last axis.
        scale: Noise magnitude (the paper: 20).
        noise: The standard-normal draw, shaped like ``tokens``; default: drawn here from torch's global generator.
            Training passes its own so that every process of a distributed run adds the noise one process would.
    """
    channels = tokens.shape[-1]
    std = tokens.norm(dim=-1, keepdim=True) / channels * scale
    return tokens + (torch.randn_like(tokens) if noise is None else noise) * std


class FeatureJitter(nn.Module):
    """Applies ``feature_jitter`` in training mode with probability ``prob`` per batch; identity in eval.

    Args:
        scale: Noise magnitude.
        prob: Probability that a batch is jittered (the paper: 1).
    """

    def __init__(self, scale: float = 20.0, prob: float = 1.0) -> None:
        super().__init__()
        self.scale = scale
        self.prob = prob

    def forward(self, tokens: Tensor) -> Tensor:
        if not self.training or torch.rand(()).item() >= self.prob:
            return tokens
        return feature_jitter(tokens, self.scale)

    def extra_repr(self) -> str:
        return f"scale={self.scale}, prob={self.prob}"


__all__ = ["feature_jitter", "FeatureJitter"]
