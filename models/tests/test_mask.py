"""Neighbor masked attention (UniAD §3.3): the mask must hide exactly each token's clipped window."""
import pytest
import torch

from models.uniad.mask import MASK_VALUE, additive_mask, neighbor_mask


def brute_force(h: int, w: int, window: int) -> torch.Tensor:
    half = window // 2
    m = torch.zeros(h * w, h * w, dtype=torch.bool)
    for r in range(h):
        for c in range(w):
            for r2 in range(max(r - half, 0), min(r + half + 1, h)):
                for c2 in range(max(c - half, 0), min(c + half + 1, w)):
                    m[r * w + c, r2 * w + c2] = True
    return m


@pytest.mark.parametrize("h,w,window", [(14, 14, 7), (8, 8, 3), (5, 9, 7), (7, 4, 5), (3, 3, 1)])
def test_each_token_masks_exactly_its_clipped_window(h, w, window):
    assert torch.equal(neighbor_mask(h, w, window), brute_force(h, w, window))


def test_paper_mask_counts_at_center_and_corner():
    m = neighbor_mask(14, 14, 7)
    assert m[7 * 14 + 7].sum() == 49  # full 7x7 window, the token itself included
    assert m[0].sum() == 16  # corner: clipped to 4x4
    assert bool(m.diagonal().all())


def test_additive_mask_is_finite_and_fp16_safe():
    add = additive_mask(neighbor_mask(14, 14, 7))
    assert torch.isfinite(add).all()
    assert set(add.unique().tolist()) == {MASK_VALUE, 0.0}
    assert torch.isfinite(add.half()).all()
