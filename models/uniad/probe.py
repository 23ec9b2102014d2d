"""Backbone probe: how well do a frozen network's features separate defects, before any UniAD training?

Per class, a memory of patch features from normal training images, and for each query image the distance of every
patch to its nearest memory patch (1-NN, as in PatchCore, Roth et al. CVPR 2022, without the coreset). Image score =
max over patches, anomaly map = the patch distances upsampled to the image. No learning is involved, so the probe
ranks features cheaply; UniAD's reconstruction (unified, one model for all classes) is judged separately.

Each tap is average-pooled 3×3 (stride 1) for local context, resized bilinearly to a ``grid``×``grid`` map and, in a
tap set, divided by its mean feature norm over the memory so that every tap weighs the same; then concatenated.

    /tmp/pt2/bin/python -m models.uniad.probe --memory /tmp/uniad-bench --queries /tmp/am-val \
        --backbone mobilenet_v2 --weights models/.cache/mobilenet_v2_nsfwjs.pt \
        --sets block_2_add,block_5_add,block_12_add block_3_expand_relu,block_6_expand_relu --out probe.json

Use a query build with another seed than the test split you report (``--queries``); the memory may be the train split.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Callable, Dict, List, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .configs import parse_taps
from .data import load_image, load_mask, test_records, train_records, discover_classes
from .metrics import auroc

Extractor = Callable[[torch.Tensor], Dict[str, torch.Tensor]]


def make_extractor(args: argparse.Namespace, taps: Sequence[str]) -> Extractor:
    """uint8 NHWC batch -> {tap: NCHW float} for the chosen network."""
    if args.tfjs:
        from .backbones.tfjs_graph import TfjsGraph
        net = TfjsGraph(args.tfjs, taps).eval()
        scale = args.input_scale

        def run(x: torch.Tensor) -> Dict[str, torch.Tensor]:
            xf = x.to(torch.float32)
            xf = xf / 255.0 if scale == '0..1' else (xf / 127.5 - 1.0 if scale == '-1..1' else xf)
            return dict(zip(taps, net(xf)))
        return run
    from .backbones import create_backbone
    net = create_backbone(args.backbone, taps=list(parse_taps(taps)), weights=args.weights).eval()

    def run(x: torch.Tensor) -> Dict[str, torch.Tensor]:
        return dict(zip(taps, net(net.normalize(x))))
    return run


def tap_features(feats: Dict[str, torch.Tensor], taps: Sequence[str], grid: int,
                 scales: Dict[str, float]) -> torch.Tensor:
    """[N, C, grid, grid]: each tap 3×3-pooled, resized, divided by its memory norm, concatenated."""
    out = []
    for t in taps:
        f = F.avg_pool2d(feats[t], 3, stride=1, padding=1, count_include_pad=False)
        f = F.interpolate(f, size=(grid, grid), mode='bilinear', align_corners=False)
        out.append(f / scales[t])
    return torch.cat(out, 1)


def nn_distance(query: torch.Tensor, memory: torch.Tensor, chunk: int = 4096) -> torch.Tensor:
    """L2 distance of each query row to its nearest memory row."""
    m2 = (memory * memory).sum(1)
    out = []
    for i in range(0, query.shape[0], chunk):
        q = query[i:i + chunk]
        d = (q * q).sum(1, keepdim=True) - 2 * q @ memory.T + m2[None]
        out.append(d.min(1).values.clamp_min(0).sqrt())
    return torch.cat(out)


def run_probe(args: argparse.Namespace) -> dict:
    sets = [s.split(',') for s in args.sets]
    taps = sorted({t for s in sets for t in s})
    extract = make_extractor(args, taps)
    classes = args.classes or discover_classes(args.queries)
    gen = torch.Generator().manual_seed(0)
    results: Dict[str, Dict[str, Dict[str, float]]] = {','.join(s): {} for s in sets}
    t0 = time.time()
    size = args.image_size

    def features(records) -> Dict[str, torch.Tensor]:
        acc: Dict[str, List[torch.Tensor]] = {t: [] for t in taps}
        for i in range(0, len(records), 16):
            x = torch.from_numpy(np.stack([load_image(r.path, size) for r in records[i:i + 16]]))
            with torch.no_grad():
                for t, v in extract(x).items():
                    acc[t].append(v)
        return {t: torch.cat(v) for t, v in acc.items()}

    for cls in classes:
        mem_recs = train_records(args.memory, [cls])[:args.memory_images]
        q_recs = test_records(args.queries, [cls])
        mem, qry = features(mem_recs), features(q_recs)
        scales = {t: float(mem[t].norm(dim=1).mean()) for t in taps}
        labels = np.array([r.label for r in q_recs])
        mask_side = size // args.mask_stride
        masks = np.stack([load_mask(r, size)[::args.mask_stride, ::args.mask_stride] for r in q_recs])
        for s in sets:
            fm = tap_features(mem, s, args.grid, scales)
            fq = tap_features(qry, s, args.grid, scales)
            mrows = fm.permute(0, 2, 3, 1).reshape(-1, fm.shape[1])
            if mrows.shape[0] > args.memory_patches:
                mrows = mrows[torch.randperm(mrows.shape[0], generator=gen)[:args.memory_patches]]
            d = nn_distance(fq.permute(0, 2, 3, 1).reshape(-1, fq.shape[1]), mrows)
            dmap = d.reshape(len(q_recs), 1, args.grid, args.grid)
            scores = dmap.flatten(1).max(1).values.numpy()
            up = F.interpolate(dmap, size=(mask_side, mask_side), mode='bilinear', align_corners=False)
            results[','.join(s)][cls] = {'image': 100 * auroc(scores, labels),
                                         'pixel': 100 * auroc(up[:, 0].numpy(), masks)}
        print(f'{cls}: ' + '  '.join(f'{k.split(",")[0][:28]}.. {v[cls]["image"]:.1f}/{v[cls]["pixel"]:.1f}'
                                     for k, v in results.items()) + f'  [{time.time() - t0:.0f}s]',
              file=sys.stderr, flush=True)
    summary = {k: {'image': float(np.mean([c['image'] for c in v.values()])),
                   'pixel': float(np.mean([c['pixel'] for c in v.values()])),
                   'perClass': v} for k, v in results.items()}
    return {'network': args.tfjs or args.backbone, 'grid': args.grid, 'memoryImages': args.memory_images,
            'memoryPatches': args.memory_patches, 'queries': args.queries, 'memory': args.memory,
            'imageSize': size, 'sets': summary, 'seconds': round(time.time() - t0, 1)}


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--memory', required=True, help='data root whose <class>/train/good fills the memory')
    p.add_argument('--queries', required=True, help='data root whose <class>/test is scored (another seed)')
    p.add_argument('--backbone', default='mobilenet_v2', help='registered backbone (default mobilenet_v2)')
    p.add_argument('--weights', default=None, help='weights file of --backbone')
    p.add_argument('--tfjs', default=None, help='a TF.js graph model.json instead of --backbone')
    p.add_argument('--input-scale', default='0..255', choices=['0..1', '-1..1', '0..255'],
                   help='input scaling for --tfjs (default 0..255)')
    p.add_argument('--sets', nargs='+', required=True, help='tap sets, each comma-separated tap names')
    p.add_argument('--classes', nargs='*', default=None)
    p.add_argument('--grid', type=int, default=28, help='patch grid side (default 28)')
    p.add_argument('--image-size', type=int, default=224, help='input side (default 224)')
    p.add_argument('--memory-images', type=int, default=30, help='normal images a class in memory (default 30)')
    p.add_argument('--memory-patches', type=int, default=8000, help='random subset of memory patches (default 8000)')
    p.add_argument('--mask-stride', type=int, default=4, help='pixel AUROC on every n-th pixel (default 4)')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--out', required=True, help='JSON results')
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    res = run_probe(args)
    with open(args.out, 'w') as f:
        json.dump(res, f, indent=1)
    for k, v in res['sets'].items():
        print(f'{v["image"]:.1f} / {v["pixel"]:.1f}  {k}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
