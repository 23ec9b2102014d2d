"""Threshold-free detection metrics, in numpy.

AUROC is computed from ranks (the Mann-Whitney U statistic): ``AUROC = P(score_pos > score_neg) +
0.5 · P(score_pos == score_neg)``; tied scores get their average rank, which yields exactly that 0.5 credit.
"""
from __future__ import annotations

import numpy as np


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of ``values``, ties sharing the mean of the ranks they span."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)  # last 1-based rank of each distinct value
    return (ends - (counts - 1) / 2.0)[inverse]


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve.

    Args:
        scores: Any shape; higher means more anomalous.
        labels: Same shape; truthy = anomalous (positive).

    Returns:
        AUROC in [0, 1], or NaN when one of the two classes is absent.
    """
    scores = np.asarray(scores, dtype=np.float64).ravel()
    labels = np.asarray(labels).ravel().astype(bool)
    n_pos = int(labels.sum())
    n_neg = labels.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    rank_sum = average_ranks(scores)[labels].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


__all__ = ["auroc", "average_ranks"]
