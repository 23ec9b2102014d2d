"""Deterministic random streams: one per (seed, class, split, index), independent of which classes are built."""
from __future__ import annotations

import zlib

import numpy as np


def stable_id(text: str) -> int:
    """A 32-bit id of a string that, unlike hash(), is the same in every process."""
    return zlib.crc32(text.encode('utf-8'))


def rng_for(seed: int, *keys: str | int) -> np.random.Generator:
    """A generator seeded from `seed` and `keys`, so that building a subset of classes gives the same images."""
    words = [int(seed)] + [stable_id(k) if isinstance(k, str) else int(k) for k in keys]
    return np.random.default_rng(np.random.SeedSequence(words))
