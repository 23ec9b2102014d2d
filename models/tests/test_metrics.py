"""AUROC from ranks must equal the pair-counting definition, ties counted as one half."""
import math

import numpy as np
import pytest

from models.uniad.metrics import auroc


def pair_count(scores, labels):
    pos, neg = scores[labels == 1], scores[labels == 0]
    wins = sum(float(p > n) + 0.5 * float(p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


@pytest.mark.parametrize("seed", range(6))
def test_matches_brute_force_with_ties(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 60))
    scores = rng.integers(0, 6, n).astype(float)  # few distinct values: many ties
    labels = rng.integers(0, 2, n)
    labels[:2] = [0, 1]
    assert auroc(scores, labels) == pytest.approx(pair_count(scores, labels), abs=1e-12)


def test_perfect_inverse_constant_and_degenerate():
    assert auroc(np.array([0.1, 0.2, 0.8, 0.9]), np.array([0, 0, 1, 1])) == 1.0
    assert auroc(np.array([0.9, 0.8, 0.2, 0.1]), np.array([0, 0, 1, 1])) == 0.0
    assert auroc(np.ones(6), np.array([0, 1, 0, 1, 0, 1])) == 0.5
    assert math.isnan(auroc(np.array([1.0, 2.0]), np.array([1, 1])))


def test_accepts_maps_and_bool_masks():
    maps = np.random.default_rng(0).random((3, 8, 8))
    masks = maps > 0.7
    assert auroc(maps, masks) == 1.0
