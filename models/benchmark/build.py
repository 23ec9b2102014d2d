"""Builds the multi-class anomaly benchmark in MVTec AD's folder layout from real photos in Debian packages.

    /usr/bin/python3 -m models.benchmark.build --out /tmp/uniad-bench            # full: 100 train, 30+30 test a class
    /usr/bin/python3 -m models.benchmark.build --out /tmp/uniad-bench-small --small
    /usr/bin/python3 -m models.benchmark.build --out /tmp/uniad-bench --photos /tmp/uniad-photos   # no Debian packages

Layout (exactly MVTec AD's)::

    <out>/<class>/train/good/000.png
    <out>/<class>/test/good/000.png
    <out>/<class>/test/<defect>/000.png
    <out>/<class>/ground_truth/<defect>/000_mask.png      (0/255, same size)
    <out>/benchmark.json                                   (classes, sources, counts, defect kinds, seed)
    <out>/crops.json                                       (source crop boxes of every image, for audits)

A fixed seed gives byte-identical files; each image has its own random stream keyed by (seed, class, split, index),
so building a subset of classes gives the same images as the full build.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from typing import Sequence

import numpy as np
from PIL import Image
from tqdm import tqdm

from .defects import DEFECT_KINDS, apply_defect
from .objects import OBJECT_CLASSES
from .seeding import rng_for
from .sources import SOURCES, get_source, load_source, use_photo_folder
from .textures import TEXTURE_CLASSES

CLASSES = {c.name: c for c in (*TEXTURE_CLASSES, *OBJECT_CLASSES)}
FULL = {'train': 100, 'test': 60}
SMALL = {'train': 4, 'test': 10}  # test: 5 good + one defect of each kind


def _save_png(arr: np.ndarray, path: str) -> None:
    if arr.dtype != np.uint8:
        arr = np.clip(arr * 255.0 + 0.5, 0, 255).astype(np.uint8)
    # PIL writes no timestamp or other metadata here, so equal pixels give equal bytes.
    Image.fromarray(arr).save(path, format='PNG', compress_level=6)


def _name(i: int, n: int) -> str:
    return f'{i:0{max(3, len(str(max(n - 1, 0))))}d}'


def _source_info(key: str) -> dict:
    s = get_source(key)
    return {'key': s.key, 'package': s.package, 'file': s.file, 'member': s.member, 'licence': s.licence}


def plan_class(train_n: int, test_n: int) -> list[tuple[str, str, int, int]]:
    """The images of one class as (folder, defect kind or 'good', index in folder, count in folder)."""
    good, bad = test_n // 2, test_n - test_n // 2
    per_kind = {k: len(range(i, bad, len(DEFECT_KINDS))) for i, k in enumerate(DEFECT_KINDS)}
    items = [('train', 'good', i, train_n) for i in range(train_n)]
    items += [('test', 'good', i, good) for i in range(good)]
    items += [('test', DEFECT_KINDS[j % len(DEFECT_KINDS)], j // len(DEFECT_KINDS),
               per_kind[DEFECT_KINDS[j % len(DEFECT_KINDS)]]) for j in range(bad)]
    return items


def render_item(cls, split: str, kind: str, index: int, size: int, seed: int):
    """Renders one image: returns (normal sample, image, mask or None). Pure function of its arguments."""
    rng = rng_for(seed, cls.name, f'{split}/{kind}', index)
    sample = cls.render(split, rng, size)
    if kind == 'good':
        return sample, sample.image, None
    foreign = tuple(k for k in SOURCES if k not in cls.sources)
    image, mask = apply_defect(kind, sample, rng, foreign)
    return sample, image, mask


def _prepare_out(out: str, names: Sequence[str]) -> None:
    os.makedirs(out, exist_ok=True)
    existing = set(os.listdir(out))
    if existing and 'benchmark.json' not in existing:
        raise FileExistsError(f'--out {out} is not empty and holds no benchmark.json: refusing to write into it; '
                              f'pass an empty or new folder')
    for n in names:  # rebuild these classes from scratch; leave anything else alone
        if os.path.isdir(os.path.join(out, n)):
            shutil.rmtree(os.path.join(out, n))


def build(out: str, classes: Sequence[str] | None = None, train_n: int = FULL['train'], test_n: int = FULL['test'],
          size: int = 224, seed: int = 0, progress: bool = True) -> dict:
    """Writes the benchmark under `out` and returns the summary also written to `out/benchmark.json`."""
    names = list(classes) if classes else list(CLASSES)
    unknown = [n for n in names if n not in CLASSES]
    if unknown:
        raise ValueError(f'unknown class(es) {", ".join(unknown)}; known: {", ".join(CLASSES)}')
    if size < 64:
        raise ValueError(f'--size {size} is too small; use at least 64 (224 is the model input)')
    if train_n < 1 or test_n < 0:
        raise ValueError(f'need at least 1 train image and 0 or more test images, got {train_n} and {test_n}')
    for n in names:  # fail before writing anything when a package is missing
        for key in CLASSES[n].sources:
            load_source(key)
    _prepare_out(out, names)
    plans = {n: plan_class(train_n, test_n) for n in names}
    summary_classes, crops = [], {}
    with tqdm(total=sum(len(p) for p in plans.values()), desc='benchmark', unit='img', disable=not progress) as bar:
        for n in names:
            cls, counts, crops[n] = CLASSES[n], {'train_good': 0, 'test_good': 0, 'test_defective': {}}, {}
            for split, kind, i, count in plans[n]:
                sample, image, mask = render_item(cls, split, kind, i, size, seed)
                rel = f'{split}/{kind}/{_name(i, count)}.png'
                os.makedirs(os.path.join(out, n, split, kind), exist_ok=True)
                _save_png(image, os.path.join(out, n, rel))
                if mask is not None:
                    os.makedirs(os.path.join(out, n, 'ground_truth', kind), exist_ok=True)
                    _save_png(mask.astype(np.uint8) * 255,
                              os.path.join(out, n, 'ground_truth', kind, f'{_name(i, count)}_mask.png'))
                    counts['test_defective'][kind] = counts['test_defective'].get(kind, 0) + 1
                else:
                    counts[f'{split}_good'] += 1
                crops[n][rel] = {k: [list(b) for b in v] for k, v in sample.boxes.items()}
                bar.update(1)
            summary_classes.append({'name': n, 'kind': cls.kind, 'sources': [_source_info(k) for k in cls.sources],
                                    'counts': counts})
    summary = {
        'format': 'MVTec AD folder layout',
        'generator': 'models.benchmark.build',
        'seed': seed, 'size': size, 'train_per_class': train_n, 'test_per_class': test_n,
        'defect_kinds': list(DEFECT_KINDS),
        'classes': summary_classes,
    }
    with open(os.path.join(out, 'benchmark.json'), 'w') as f:
        json.dump(summary, f, indent=1, sort_keys=True)
        f.write('\n')
    with open(os.path.join(out, 'crops.json'), 'w') as f:
        json.dump(crops, f, sort_keys=True, separators=(',', ':'))
        f.write('\n')
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog='python -m models.benchmark.build', description=__doc__.split('\n')[0])
    p.add_argument('--out', required=True, help='output folder (new, empty, or a previous benchmark)')
    p.add_argument('--train-per-class', type=int, default=None, help=f'normal train images a class '
                   f'(default {FULL["train"]}, --small {SMALL["train"]})')
    p.add_argument('--test-per-class', type=int, default=None, help=f'test images a class, half good and half '
                   f'defective, kinds in turn (default {FULL["test"]}, --small {SMALL["test"]})')
    p.add_argument('--size', type=int, default=224, help='image side in pixels (default 224)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--classes', default=None, help=f'comma-separated subset of: {",".join(CLASSES)}')
    p.add_argument('--small', action='store_true', help='tiny preset for CI (a few seconds)')
    p.add_argument('--photos', default=None, metavar='DIR', help='read the source photos from DIR (made by python -m '
                   'models.benchmark.sources --export DIR) instead of the Debian packages; same images')
    a = p.parse_args(argv)
    preset = SMALL if a.small else FULL
    train_n = preset['train'] if a.train_per_class is None else a.train_per_class
    test_n = preset['test'] if a.test_per_class is None else a.test_per_class
    names = [c.strip() for c in a.classes.split(',') if c.strip()] if a.classes else None
    t0 = time.time()
    try:
        use_photo_folder(a.photos)
        summary = build(a.out, names, train_n, test_n, a.size, a.seed)
    except (ValueError, FileExistsError, FileNotFoundError) as e:
        print(f'benchmark: {e}', file=sys.stderr)
        return 2
    n = sum(c['counts']['train_good'] + c['counts']['test_good'] + sum(c['counts']['test_defective'].values())
            for c in summary['classes'])
    print(f'benchmark: {len(summary["classes"])} classes, {n} images in {a.out} ({time.time() - t0:.1f} s)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
