"""A second defect generator, with kinds the benchmark's own (defects.py: scratch, stain, hole, cut_paste, crack)
never draws, painted into the benchmark's own good test images: a test of defects a model was not built around.

    /usr/bin/python3 -m models.benchmark.unseen_defects --out /tmp/uniad-unseen            # 30 good + 30 defective a class

Kinds, each what a real line sees and the benchmark does not:

* ``particles`` — contamination: a cluster of small foreign specks (dirt, metal chips) and sometimes a fibre, opaque,
  with a faint contact shadow.
* ``burn`` — heat damage: a large, soft discolouration that darkens towards its centre (scorch) or runs through
  temper colours (straw → bronze → blue), the texture still visible through it; no sharp edge anywhere.
* ``smudge`` — smeared material or print: a region motion-blurred along one direction (print smeared before it dried,
  a wiped surface), placed where the surface has the most detail.
* ``dent`` — a dent or bump seen only through shading: a smooth height field lit from the top left; no colour change.
* ``fold`` — a fold or wrinkle: a long, soft ridge or crease across the part, again only shading.
* ``warp`` — a region of the surface displaced (misalignment, local warp): the texture's geometry is bent, its
  colours are not changed.

Images and masks: ``test/good/NNN.png`` are exactly the benchmark's good test images of the same class and
benchmark seed (``--benchmark-seed``; byte-identical to what ``models.benchmark.build`` writes); defective image j is
good test image j with one unseen defect painted into it (kinds in turn), so defects sit on the same normal
images the benchmark tests with. The folder has no ``train/`` on purpose: this set is for testing only — never
train on it, select models or tune recipes on it, or calibrate thresholds on it (``benchmark.json`` says so, and
training and calibration refuse it: models.uniad.data.refuse_test_only).

A fixed seed gives byte-identical files; each image has its own random stream keyed by (seed, 'unseen', class,
kind, index), independent of the benchmark's streams and of which classes are built.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from typing import Callable, Sequence

import numpy as np
from scipy import ndimage
from tqdm import tqdm

from .build import CLASSES, _name, _prepare_out, _save_png, _source_info, render_item
from .defects import DEFECT_KINDS, MASK_THRESHOLD, _blob, _lines_alpha, _pick_point, _scale, luminance
from .seeding import rng_for
from .sources import load_source, use_photo_folder
from .textures import Sample

UNSEEN_KINDS = ('particles', 'burn', 'smudge', 'dent', 'fold', 'warp')
GOOD_PER_CLASS = 30
DEFECTIVE_PER_CLASS = 30
LIGHT = np.array([-1.0, -1.0]) / math.sqrt(2.0)  # light from the top left, as the benchmark's parts are lit

Painter = Callable[[Sample, np.random.Generator], 'tuple[np.ndarray, np.ndarray]']


def _shade(img: np.ndarray, height: np.ndarray, strength: float, region: np.ndarray) -> np.ndarray:
    """Shading of a height field (px units) lit from LIGHT, on `region` only: slopes facing the light brighten.

    Part diffuse (scales with the surface's own brightness), part a sheen that does not, so a dent shows on dark
    epoxy too. The slope is taken before the region cut, so the part's own outline gets no false edge.
    """
    gy, gx = np.gradient(height)
    slope = -(gx * LIGHT[0] + gy * LIGHT[1])
    return np.clip(img + (strength * slope * region)[..., None] * (0.6 * img + 0.2), 0, 1)


def particles(sample: Sample, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """4-14 specks of 1-3.5 px radius within 8-28 px of a point, sometimes a fibre; dark, bright or rust coloured."""
    img, s = sample.image, _scale(sample.image)
    h, w = img.shape[:2]
    spread = rng.uniform(8, 28) * s
    c = _pick_point(rng, sample.region, int(spread))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    alpha = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(4, 15))):
        p = c + rng.normal(0, spread / 2, 2)
        r = rng.uniform(1.0, 3.5) * s
        d = np.hypot((xx - p[0]) / rng.uniform(0.6, 1.0), yy - p[1])
        alpha = np.maximum(alpha, np.clip(r - d + 0.5, 0, 1))
    if rng.random() < 0.5:  # a fibre: a thin wandering line through the cluster
        ang = rng.uniform(0, 2 * math.pi)
        pts = [c.copy()]
        for _ in range(int(rng.integers(6, 14))):
            ang += rng.normal(0, 0.35)
            pts.append(pts[-1] + 2.5 * s * np.array([math.cos(ang), math.sin(ang)]))
        alpha = np.maximum(alpha, _lines_alpha((h, w), [np.array(pts)], rng.uniform(0.8, 1.4) * s) * 0.9)
    alpha *= sample.region
    lum = float(luminance(img[alpha > 0.5].mean(0))) if (alpha > 0.5).any() else 0.5
    colour = {0: np.array([0.06, 0.05, 0.05]), 1: np.array([0.93, 0.92, 0.88]), 2: np.array([0.48, 0.22, 0.08])}[
        int(rng.choice([0, 1, 2], p=[0.2, 0.7, 0.1] if lum < 0.35 else [0.6, 0.15, 0.25]))]
    shadow = np.clip(np.roll(np.roll(ndimage.gaussian_filter(alpha, 1.0 * s), int(2 * s), 0), int(2 * s), 1) - alpha,
                     0, 1) * sample.region
    out = img * (1 - 0.35 * shadow)[..., None]
    tex = colour * (1 + 0.15 * rng.standard_normal((h, w, 1)))  # specks are not flat paint
    out = out * (1 - alpha[..., None]) + np.clip(tex, 0, 1) * alpha[..., None]
    return out, np.maximum(alpha, shadow)


def burn(sample: Sample, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A 18-50 px soft discolouration: scorch (darker, browner to the centre) or heat tint (temper colours)."""
    img, s = sample.image, _scale(sample.image)
    radius = rng.uniform(18, 50) * s
    c = _pick_point(rng, sample.region, int(radius * 0.4))
    core = _blob(rng, img.shape[:2], c, radius, irregularity=0.5, feather=radius * 0.45)
    a = np.clip(core / max(core.max(), 1e-6), 0, 1) * sample.region
    lum = luminance(img)[..., None]
    if rng.random() < 0.6:  # scorch: brown at the rim, near black at the core
        brown = np.array([0.55, 0.33, 0.16], np.float32)
        target = lum * (brown * (1.0 - 0.75 * a[..., None]))
    else:  # heat tint: colour runs with the temperature, straw at the rim to blue at the core
        stops = np.array([[0.80, 0.68, 0.35], [0.65, 0.42, 0.22], [0.45, 0.25, 0.45], [0.25, 0.35, 0.70]], np.float32)
        t = a * (len(stops) - 1)
        i = np.clip(t.astype(int), 0, len(stops) - 2)
        f = (t - i)[..., None]
        target = (stops[i] * (1 - f) + stops[i + 1] * f) * (0.55 + 0.8 * lum)
    strength = rng.uniform(0.55, 0.9)
    return img + (a * strength)[..., None] * (target - img), a


def _detail(img: np.ndarray, size: int) -> np.ndarray:
    """Local detail: mean gradient magnitude of the luminance over a size x size window."""
    lum = luminance(img)
    return ndimage.uniform_filter(np.hypot(*np.gradient(lum)), size)


def smudge(sample: Sample, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A 12-30 px region smeared 8-20 px along one direction, at the most detailed of a few candidate spots."""
    img, s = sample.image, _scale(sample.image)
    radius = rng.uniform(12, 30) * s
    detail = _detail(img, int(radius))
    cands = [_pick_point(rng, sample.region, int(radius * 0.6)) for _ in range(6)]
    c = max(cands, key=lambda p: detail[int(np.clip(p[1], 0, img.shape[0] - 1)), int(np.clip(p[0], 0, img.shape[1] - 1))])
    a = _blob(rng, img.shape[:2], c, radius, irregularity=0.3, feather=1.5 * s) * sample.region
    length = rng.uniform(8, 20) * s
    ang = rng.uniform(0, math.pi)
    # Motion blur: average of the image shifted along the smear direction (sub-pixel shifts, linear interpolation).
    steps = max(4, int(length))
    smear = np.zeros_like(img)
    for t in np.linspace(-length / 2, length / 2, steps):
        smear += ndimage.shift(img, (t * math.sin(ang), t * math.cos(ang), 0), order=1, mode='nearest')
    smear /= steps
    smear = smear * rng.uniform(0.85, 1.1)  # smeared ink darkens, a wiped surface brightens a little
    return img + a[..., None] * (np.clip(smear, 0, 1) - img), a


def dent(sample: Sample, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A dent or bump of 8-26 px radius (sometimes elongated), visible only through its shading."""
    img, s = sample.image, _scale(sample.image)
    radius = rng.uniform(8, 26) * s
    c = _pick_point(rng, sample.region, int(radius))
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ang = rng.uniform(0, math.pi)
    u = (xx - c[0]) * math.cos(ang) + (yy - c[1]) * math.sin(ang)
    v = -(xx - c[0]) * math.sin(ang) + (yy - c[1]) * math.cos(ang)
    height = np.exp(-((u / (radius * rng.uniform(1.0, 2.0))) ** 2 + (v / radius) ** 2) * 2.0)
    depth = rng.uniform(0.35, 0.8) * radius * rng.choice([-1.0, 1.0])  # steep enough to catch the light
    out = _shade(img, height * depth, rng.uniform(0.3, 0.5), sample.region)
    # The mask covers the deformed area out to where its shading has faded (5 % of the depth).
    return out, (height >= 0.05).astype(np.float32) * sample.region


def fold(sample: Sample, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A 60-160 px gently curved ridge (fold) or crease (wrinkle), 2.5-6 px wide, visible only through its shading."""
    img, s = sample.image, _scale(sample.image)
    h, w = img.shape[:2]
    c = _pick_point(rng, sample.region, int(20 * s))
    length = rng.uniform(60, 160) * s
    ang = rng.uniform(0, math.pi)
    d = np.array([math.cos(ang), math.sin(ang)])
    n = np.array([-d[1], d[0]])
    bend = rng.uniform(-0.15, 0.15) * length
    t = np.linspace(-0.5, 0.5, 96)[:, None]
    pts = c + t * length * d + (1 - 4 * t ** 2) * bend * n
    # Distance of every pixel to the polyline, via the distance transform of its 1-px rasterisation.
    line = _lines_alpha((h, w), [pts], 1.0) > 0.2
    dist = ndimage.distance_transform_edt(~line)
    width = rng.uniform(2.5, 6.0) * s
    height = np.exp(-(dist / width) ** 2)
    depth = rng.uniform(0.8, 1.6) * width * rng.choice([-1.0, 1.0])
    out = _shade(img, height * depth, rng.uniform(0.3, 0.5), sample.region)
    if depth < 0:  # a crease: the bottom of the fold is in shadow
        out = out * (1 - 0.3 * np.exp(-(dist / (0.6 * s)) ** 2) * sample.region)[..., None]
    return out, (height >= 0.05).astype(np.float32) * sample.region


def warp(sample: Sample, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A 14-32 px region displaced by up to 5-12 px (a shift or a twist), at the most detailed of a few spots."""
    img, s = sample.image, _scale(sample.image)
    h, w = img.shape[:2]
    radius = rng.uniform(14, 32) * s
    detail = _detail(img, int(radius))
    cands = [_pick_point(rng, sample.region, int(radius)) for _ in range(6)]
    c = max(cands, key=lambda p: detail[int(np.clip(p[1], 0, h - 1)), int(np.clip(p[0], 0, w - 1))])
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bump = np.exp(-(((xx - c[0]) ** 2 + (yy - c[1]) ** 2) / radius ** 2) * 2.0)
    amp = rng.uniform(5, 12) * s
    if rng.random() < 0.5:  # shift: the region slid along one direction
        ang = rng.uniform(0, 2 * math.pi)
        dx, dy = amp * bump * math.cos(ang), amp * bump * math.sin(ang)
    else:  # twist around the centre
        theta = amp / radius * bump * rng.choice([-1.0, 1.0]) * 2.0
        ox, oy = xx - c[0], yy - c[1]
        dx = ox * np.cos(theta) - oy * np.sin(theta) - ox
        dy = ox * np.sin(theta) + oy * np.cos(theta) - oy
    disp = np.hypot(dx, dy) * sample.region
    coords = [yy - dy * sample.region, xx - dx * sample.region]
    out = np.stack([ndimage.map_coordinates(img[..., k], coords, order=1, mode='nearest') for k in range(3)], -1)
    return out, (disp >= 1.0).astype(np.float32)


# A warp moves texture without changing its colours, so its mean change is small even where the bend is plain to
# see on a smooth surface (concrete): it gets a lower visibility floor than the painters that add or remove colour.
MIN_CONTRAST = {'warp': 0.025}

PAINTERS: dict[str, Painter] = {'particles': particles, 'burn': burn, 'smudge': smudge, 'dent': dent, 'fold': fold,
                                'warp': warp}


def apply_unseen_defect(kind: str, sample: Sample, rng: np.random.Generator, min_area: int = 24,
                        min_contrast: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Paints one unseen defect of `kind` on a copy of `sample.image`.

    Args:
        kind: one of UNSEEN_KINDS.
        sample: the normal sample to damage.
        rng: random stream of this image.
        min_area: masks smaller than this (px at 224, scaled with the image) are redrawn.
        min_contrast: defects whose mean absolute change inside the mask (max over channels) is below this are
            redrawn, as in defects.apply_defect: a defect nobody could see is a labelling error. Default 0.04,
            MIN_CONTRAST for the kinds listed there.

    Returns:
        The defective float32 image in [0, 1] and its bool mask (where the painter's alpha is at least
        MASK_THRESHOLD, inside the sample's region).
    """
    if kind not in PAINTERS:
        raise ValueError(f'unknown unseen defect kind {kind!r}; known: {", ".join(UNSEEN_KINDS)}')
    need = min_area * _scale(sample.image) ** 2
    floor = MIN_CONTRAST.get(kind, 0.04) if min_contrast is None else min_contrast
    for _ in range(40):
        out, alpha = PAINTERS[kind](sample, rng)
        out = np.clip(out, 0, 1).astype(np.float32)
        mask = (alpha >= MASK_THRESHOLD) & sample.region
        if mask.sum() >= need and np.abs(out - sample.image).max(-1)[mask].mean() >= floor:
            return out, mask
    raise RuntimeError(f'could not place a visible {kind} defect of at least {need:.0f} px in the sample region')


def plan_class(good_n: int, defective_n: int) -> list[tuple[str, int, int, int]]:
    """The images of one class as (kind or 'good', index in its folder, count in its folder, good image it starts from)."""
    per_kind = {k: len(range(i, defective_n, len(UNSEEN_KINDS))) for i, k in enumerate(UNSEEN_KINDS)}
    items = [('good', i, good_n, i) for i in range(good_n)]
    items += [(UNSEEN_KINDS[j % len(UNSEEN_KINDS)], j // len(UNSEEN_KINDS), per_kind[UNSEEN_KINDS[j % len(UNSEEN_KINDS)]],
               j % max(good_n, 1)) for j in range(defective_n)]
    return items


def build(out: str, classes: Sequence[str] | None = None, good_n: int = GOOD_PER_CLASS,
          defective_n: int = DEFECTIVE_PER_CLASS, size: int = 224, seed: int = 0, benchmark_seed: int = 0,
          progress: bool = True) -> dict:
    """Writes the unseen-defect test set under `out` and returns the summary written to `out/benchmark.json`."""
    names = list(classes) if classes else list(CLASSES)
    unknown = [n for n in names if n not in CLASSES]
    if unknown:
        raise ValueError(f'unknown class(es) {", ".join(unknown)}; known: {", ".join(CLASSES)}')
    if good_n < 1 or defective_n < 0:
        raise ValueError(f'need at least 1 good and 0 or more defective images a class, got {good_n} and {defective_n}')
    for n in names:
        for key in CLASSES[n].sources:
            load_source(key)
    _prepare_out(out, names)
    plans = {n: plan_class(good_n, defective_n) for n in names}
    summary_classes, origins = [], {}
    with tqdm(total=sum(len(p) for p in plans.values()), desc='unseen defects', unit='img', disable=not progress) as bar:
        for n in names:
            cls, counts, origins[n] = CLASSES[n], {'test_good': 0, 'test_defective': {}}, {}
            bases: dict[int, Sample] = {}
            for kind, i, count, base in plans[n]:
                if base not in bases:  # the benchmark's own good test image number `base`, exactly as it builds it
                    bases[base] = render_item(cls, 'test', 'good', base, size, benchmark_seed)[0]
                sample = bases[base]
                rel = f'test/{kind}/{_name(i, count)}.png'
                os.makedirs(os.path.join(out, n, 'test', kind), exist_ok=True)
                if kind == 'good':
                    _save_png(sample.image, os.path.join(out, n, rel))
                    counts['test_good'] += 1
                else:
                    rng = rng_for(seed, 'unseen', n, kind, i)
                    image, mask = apply_unseen_defect(kind, sample, rng)
                    _save_png(image, os.path.join(out, n, rel))
                    os.makedirs(os.path.join(out, n, 'ground_truth', kind), exist_ok=True)
                    _save_png(mask.astype(np.uint8) * 255,
                              os.path.join(out, n, 'ground_truth', kind, f'{_name(i, count)}_mask.png'))
                    counts['test_defective'][kind] = counts['test_defective'].get(kind, 0) + 1
                origins[n][rel] = f'{n}/test/good/{_name(base, good_n)}.png'
                bar.update(1)
            summary_classes.append({'name': n, 'kind': cls.kind, 'sources': [_source_info(k) for k in cls.sources],
                                    'counts': counts})
    summary = {
        'format': 'MVTec AD folder layout (test only)',
        'generator': 'models.benchmark.unseen_defects',
        'use': 'testing only: never train, select models or calibrate thresholds on this set',
        'seed': seed, 'benchmark_seed': benchmark_seed, 'size': size,
        'test_per_class': good_n + defective_n,
        'defect_kinds': list(UNSEEN_KINDS), 'benchmark_defect_kinds': list(DEFECT_KINDS),
        'classes': summary_classes,
    }
    with open(os.path.join(out, 'benchmark.json'), 'w') as f:
        json.dump(summary, f, indent=1, sort_keys=True)
        f.write('\n')
    with open(os.path.join(out, 'origins.json'), 'w') as f:  # which benchmark good image each file was painted on
        json.dump(origins, f, sort_keys=True, separators=(',', ':'))
        f.write('\n')
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog='python -m models.benchmark.unseen_defects', description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--out', required=True, help='output folder (new, empty, or a previous unseen-defect build)')
    p.add_argument('--good-per-class', type=int, default=GOOD_PER_CLASS, help='good test images a class')
    p.add_argument('--defective-per-class', type=int, default=DEFECTIVE_PER_CLASS,
                   help=f'defective images a class, kinds in turn ({", ".join(UNSEEN_KINDS)})')
    p.add_argument('--size', type=int, default=224, help='image side in pixels')
    p.add_argument('--seed', type=int, default=0, help='seed of the unseen defects')
    p.add_argument('--benchmark-seed', type=int, default=0, help='seed of the benchmark whose good test images are used')
    p.add_argument('--classes', default=None, help=f'comma-separated subset of: {",".join(CLASSES)}')
    p.add_argument('--photos', default=None, metavar='DIR', help='source photos from DIR (python -m '
                   'models.benchmark.sources --export DIR) instead of the Debian packages')
    a = p.parse_args(argv)
    names = [c.strip() for c in a.classes.split(',') if c.strip()] if a.classes else None
    t0 = time.time()
    try:
        use_photo_folder(a.photos)
        summary = build(a.out, names, a.good_per_class, a.defective_per_class, a.size, a.seed, a.benchmark_seed)
    except (ValueError, FileExistsError, FileNotFoundError) as e:
        print(f'unseen defects: {e}', file=sys.stderr)
        return 2
    n = sum(c['counts']['test_good'] + sum(c['counts']['test_defective'].values()) for c in summary['classes'])
    print(f'unseen defects: {len(summary["classes"])} classes, {n} images in {a.out} ({time.time() - t0:.1f} s)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
