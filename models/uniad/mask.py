"""Neighbor masked attention (UniAD §3.3).

A token may not attend to its own neighbourhood: otherwise the reconstruction can copy the input
("identical shortcut") and reconstruct anomalies as well as normal regions.
"""
from __future__ import annotations

import torch
from torch import Tensor

# Finite instead of -inf: ONNX/TensorRT FP16 engines turn -inf arithmetic into NaN; -1e4 fits in fp16
# and after softmax weighs ~e^-10000 = 0.
MASK_VALUE = -1e4


def neighbor_mask(height: int, width: int, window: int) -> Tensor:
    """Boolean attention mask over a ``height``×``width`` token grid in row-major order.

    Args:
        height: Grid rows.
        width: Grid columns.
        window: Side of the square neighbourhood (centred on the token, itself included, clipped at borders).

    Returns:
        ``[H*W, H*W]`` bool, ``True`` where query (row) must not attend to key (column).
    """
    rows = torch.arange(height).repeat_interleave(width)
    cols = torch.arange(width).repeat(height)
    half = window // 2
    near_r = (rows[:, None] - rows[None, :]).abs() <= half
    near_c = (cols[:, None] - cols[None, :]).abs() <= half
    return near_r & near_c


def additive_mask(mask: Tensor, value: float = MASK_VALUE) -> Tensor:
    """Converts a bool mask into the float mask attention adds to its logits (0 allowed, ``value`` masked)."""
    return torch.zeros(mask.shape, dtype=torch.float32).masked_fill(mask, value)


__all__ = ["neighbor_mask", "additive_mask", "MASK_VALUE"]
