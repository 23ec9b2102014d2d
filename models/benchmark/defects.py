"""Defects painted onto normal samples, each with its pixel mask.

Every painter blends into the image through a soft alpha (anti-aliased lines, feathered blobs), keeps the texture
underneath visible where real damage would (a stain tints, it does not paint over), and draws its size, shape and
contrast from wide ranges so that some defects are obvious and some are faint. The mask is where the alpha is at
least MASK_THRESHOLD, restricted to the sample's region (the part, for objects).
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from .textures import Sample, crop_photo

DEFECT_KINDS = ('scratch', 'stain', 'hole', 'cut_paste', 'crack')
MASK_THRESHOLD = 0.12
SUPERSAMPLE = 4

# Stain tints (RGB): rust, coffee, oil, blue ink, green paint, red ink, white paint.
STAIN_TINTS = np.array([
    (0.62, 0.30, 0.08), (0.38, 0.22, 0.10), (0.12, 0.12, 0.14), (0.12, 0.22, 0.62),
    (0.25, 0.55, 0.22), (0.72, 0.12, 0.12), (0.95, 0.95, 0.92),
], np.float32)


def luminance(img: np.ndarray) -> np.ndarray:
    return img @ np.array([0.299, 0.587, 0.114], np.float32)


def _scale(img: np.ndarray) -> float:
    return img.shape[0] / 224.0


def _pick_point(rng: np.random.Generator, region: np.ndarray, margin: int) -> np.ndarray:
    """A random (x, y) inside `region`, at least `margin` px from its border when possible."""
    inner = ndimage.binary_erosion(region, iterations=margin, border_value=0) if margin > 0 else region
    ys, xs = np.nonzero(inner if inner.any() else region)
    i = int(rng.integers(len(xs)))
    return np.array([xs[i] + rng.uniform(-0.5, 0.5), ys[i] + rng.uniform(-0.5, 0.5)], np.float64)


def _lines_alpha(shape: tuple[int, int], polylines: list[np.ndarray], width: float) -> np.ndarray:
    """Anti-aliased alpha of polylines of `width` px, drawn SUPERSAMPLE times larger and box-filtered down."""
    h, w = shape
    canvas = Image.new('L', (w * SUPERSAMPLE, h * SUPERSAMPLE), 0)
    draw = ImageDraw.Draw(canvas)
    lw = max(1, int(round(width * SUPERSAMPLE)))
    for pts in polylines:
        xy = [(float(x) * SUPERSAMPLE, float(y) * SUPERSAMPLE) for x, y in pts]
        draw.line(xy, fill=255, width=lw, joint='curve')
        r = lw / 2  # round caps
        for x, y in (xy[0], xy[-1]):
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    small = canvas.resize((w, h), Image.BOX)
    return np.asarray(small, np.float32) / 255.0


def _blob(rng: np.random.Generator, shape: tuple[int, int], center: np.ndarray, radius: float,
          irregularity: float = 0.35, feather: float = 0.8) -> np.ndarray:
    """Soft alpha of an irregular blob: a random ellipse whose edge is pushed around by smooth noise."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ang = rng.uniform(0, math.pi)
    aspect = rng.uniform(0.55, 1.0)
    u = (xx - center[0]) * math.cos(ang) + (yy - center[1]) * math.sin(ang)
    v = -(xx - center[0]) * math.sin(ang) + (yy - center[1]) * math.cos(ang)
    d = np.sqrt((u / radius) ** 2 + (v / (radius * aspect)) ** 2)
    noise = ndimage.gaussian_filter(rng.standard_normal(shape).astype(np.float32), sigma=max(1.0, radius / 3))
    noise /= noise.std() + 1e-6
    field = 1.0 - d + irregularity * noise * np.clip(1.2 - d, 0, 1)
    hard = (field > 0).astype(np.float32)
    # Keep only the component that holds the centre so that noise does not scatter islands around the blob.
    labels, _ = ndimage.label(hard)
    cy, cx = int(np.clip(center[1], 0, h - 1)), int(np.clip(center[0], 0, w - 1))
    keep = labels == labels[cy, cx] if labels[cy, cx] else labels == (np.bincount(labels.ravel())[1:].argmax() + 1)
    return ndimage.gaussian_filter(keep.astype(np.float32), sigma=feather) if feather > 0 else keep.astype(np.float32)


def _bezier(p0: np.ndarray, p1: np.ndarray, p2: np.ndarray, n: int = 48) -> np.ndarray:
    t = np.linspace(0, 1, n)[:, None]
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t ** 2 * p2


def _local_mean(img: np.ndarray, p: np.ndarray, r: int) -> np.ndarray:
    h, w = img.shape[:2]
    x, y = int(p[0]), int(p[1])
    return img[max(0, y - r):min(h, y + r + 1), max(0, x - r):min(w, x + r + 1)].reshape(-1, 3).mean(0)


def scratch(sample: Sample, rng: np.random.Generator, foreign: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """A thin curved line, lighter (bare material) or darker (groove) than the surface."""
    img, s = sample.image, _scale(sample.image)
    c = _pick_point(rng, sample.region, int(20 * s))
    length = rng.uniform(30, 110) * s
    ang = rng.uniform(0, math.pi)
    d = np.array([math.cos(ang), math.sin(ang)])
    n = np.array([-d[1], d[0]])
    pts = _bezier(c - d * length / 2, c + n * rng.uniform(-0.3, 0.3) * length, c + d * length / 2)
    a = _lines_alpha(img.shape[:2], [pts], rng.uniform(1.0, 2.4) * s) * sample.region
    lum = float(luminance(_local_mean(img, c, int(12 * s))))
    strength = rng.uniform(0.45, 0.9)
    if rng.random() < (0.85 if lum < 0.45 else 0.35):
        target = np.clip(img * 0.4 + 0.7, 0, 1)  # bright: bare material catching the light
    else:
        target = img * 0.25  # dark groove
    return img + (a * strength)[..., None] * (target - img), a


def stain(sample: Sample, rng: np.random.Generator, foreign: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """A coloured spot that tints the surface (texture stays visible), with a slightly darker drying ring."""
    img, s = sample.image, _scale(sample.image)
    radius = rng.uniform(9, 32) * s
    c = _pick_point(rng, sample.region, int(radius * 0.5))
    a = _blob(rng, img.shape[:2], c, radius, irregularity=0.45, feather=rng.uniform(1.0, 2.5) * s)
    ring = np.clip(a * (1 - a) * 4, 0, 1) * rng.uniform(0.0, 0.6)
    a = np.clip(a + ring * 0.5, 0, 1) * sample.region
    mean = _local_mean(img, c, int(radius))
    # Prefer a tint that differs from the surface colour, but not always the most different one.
    far = np.argsort(-np.abs(STAIN_TINTS - mean).sum(1))[:4]
    tint = STAIN_TINTS[int(rng.choice(far))]
    lum = luminance(img)[..., None]
    stained = np.clip(tint * (0.45 + 0.9 * lum), 0, 1)
    strength = rng.uniform(0.4, 0.8)
    return img + (a * strength)[..., None] * (stained - img), a


def hole(sample: Sample, rng: np.random.Generator, foreign: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Missing material: an irregular hole through which the background (or a dark cavity) shows, with a shadow."""
    img, s = sample.image, _scale(sample.image)
    radius = rng.uniform(5, 18) * s
    c = _pick_point(rng, sample.region, int(radius * 0.6))
    a = _blob(rng, img.shape[:2], c, radius, irregularity=0.4, feather=0.6 * s) * sample.region
    if sample.background is not None:
        inside = sample.background.copy()
    else:
        # A dark pit: dimmed remains of the surface, lit from the top left so the far wall is brighter.
        yy, xx = np.mgrid[0:img.shape[0], 0:img.shape[1]].astype(np.float32)
        grad = np.clip(((xx - c[0]) + (yy - c[1])) / (2 * radius), -1, 1)
        depth = rng.uniform(0.08, 0.3)
        inside = (_local_mean(img, c, int(radius)) * depth + img * depth * 0.6) * (1 + 0.6 * grad)[..., None]
    # The hole's own wall casts a shadow on what is seen through it (light from the top left).
    shift = max(1, int(round(rng.uniform(1.5, 3.5) * s)))
    wall = np.clip(a - np.roll(np.roll(a, shift, 0), shift, 1), 0, 1)
    inside = inside * (1 - 0.6 * wall[..., None])
    out = img * (1 - a[..., None]) + inside * a[..., None]
    # A thin torn rim around the hole, a little brighter (fibres, burr) or darker (burn).
    rim = np.clip(ndimage.gaussian_filter(a, 1.2 * s) - a, 0, 1) * sample.region
    rim_gain = rng.uniform(-0.35, 0.35)
    out = out + (rim * rim_gain)[..., None] * np.where(rim_gain > 0, 1 - out, out)
    return out, np.maximum(a, rim * 2)


def cut_paste(sample: Sample, rng: np.random.Generator, foreign: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """A patch of another photo (contamination) pasted with a feathered edge, sometimes colour-matched."""
    img, s = sample.image, _scale(sample.image)
    key = str(rng.choice(list(foreign)))
    patch, _ = crop_photo(key, 'test', rng, img.shape[0], max_rotation=20.0)
    patch = np.asarray(patch, np.float32) / 255.0
    radius = rng.uniform(12, 36) * s
    c = _pick_point(rng, sample.region, int(radius * 0.5))
    a = _blob(rng, img.shape[:2], c, radius, irregularity=rng.uniform(0.1, 0.5), feather=0.7 * s) * sample.region
    if rng.random() < 0.4:  # a foreign patch shifted towards the surface's colour: harder to see
        m = _local_mean(img, c, int(radius * 1.5))
        pm = patch.mean((0, 1))
        gain = rng.uniform(1.0, 1.8)  # keep (or raise) the foreign texture's contrast so its structure shows
        patch = np.clip((patch - pm) * gain + pm + (m - pm) * rng.uniform(0.5, 0.8), 0, 1)
    return img * (1 - a[..., None]) + patch * a[..., None], a


def crack(sample: Sample, rng: np.random.Generator, foreign: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """A jagged, sometimes branching dark line with a light lip along one side (a crack or a fold)."""
    img, s = sample.image, _scale(sample.image)
    p = _pick_point(rng, sample.region, int(24 * s))
    total = rng.uniform(35, 120) * s
    step = 3.0 * s

    def walk(p0: np.ndarray, heading: float, length: float) -> np.ndarray:
        # Jagged but going somewhere: each segment deviates from a slowly drifting heading.
        pts = [p0]
        for _ in range(max(2, int(length / step))):
            heading += rng.normal(0, 0.08)
            ang = heading + rng.normal(0, 0.55)
            pts.append(pts[-1] + step * np.array([math.cos(ang), math.sin(ang)]))
        return np.array(pts)

    ang0 = rng.uniform(0, 2 * math.pi)
    main = np.concatenate([walk(p, ang0 + math.pi, total / 2)[::-1], walk(p, ang0, total / 2)[1:]])
    lines = [main]
    for _ in range(int(rng.integers(0, 3))):
        at = main[int(rng.integers(len(main) // 4, 3 * len(main) // 4))]
        lines.append(walk(at, ang0 + rng.choice([-1, 1]) * rng.uniform(0.5, 1.3), total * rng.uniform(0.2, 0.45)))
    width = rng.uniform(1.0, 2.2) * s
    a = _lines_alpha(img.shape[:2], lines, width) * sample.region
    off = 1.3 * s
    lip = _lines_alpha(img.shape[:2], [l + off for l in lines], width * 0.8) * sample.region * (1 - a)
    dark = rng.uniform(0.15, 0.5)
    out = img * (1 - a[..., None] * (1 - dark))
    out = out + (lip * rng.uniform(0.15, 0.4))[..., None] * (1 - out)
    return out, np.maximum(a, lip)


PAINTERS = {'scratch': scratch, 'stain': stain, 'hole': hole, 'cut_paste': cut_paste, 'crack': crack}


def apply_defect(kind: str, sample: Sample, rng: np.random.Generator, foreign: tuple[str, ...],
                 min_area: int = 24, min_contrast: float = 0.04) -> tuple[np.ndarray, np.ndarray]:
    """Paints one defect of `kind` on a copy of `sample.image`.

    Args:
        kind: one of DEFECT_KINDS.
        sample: the normal sample to damage.
        rng: random stream of this image.
        foreign: source keys cut_paste may take a patch from (not the class's own photos).
        min_area: masks smaller than this (px at 224, scaled with the image) are redrawn.
        min_contrast: defects whose mean absolute change inside the mask (max over channels) is below this are
            redrawn: a defect nobody could see is a labelling error, not a hard case.

    Returns:
        The defective float32 image in [0, 1] and its bool mask.
    """
    if kind not in PAINTERS:
        raise ValueError(f'unknown defect kind {kind!r}; known: {", ".join(DEFECT_KINDS)}')
    need = min_area * _scale(sample.image) ** 2
    for _ in range(20):
        out, alpha = PAINTERS[kind](sample, rng, foreign)
        out = np.clip(out, 0, 1).astype(np.float32)
        mask = (alpha >= MASK_THRESHOLD) & sample.region
        if mask.sum() >= need and np.abs(out - sample.image).max(-1)[mask].mean() >= min_contrast:
            return out, mask
    raise RuntimeError(f'could not place a visible {kind} defect of at least {need:.0f} px in the sample region')
