"""Contact sheet of a built benchmark: one row per class, normal test samples then one sample of each defect kind
with its ground-truth mask outlined.

    /usr/bin/python3 -m models.benchmark.sheet --data /tmp/uniad-bench --out docs/benchmark.png
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from .objects import _font

OUTLINE = (255, 40, 40)


def _thumb(path: str, mask_path: str | None, side: int) -> Image.Image:
    img = Image.open(path).convert('RGB').resize((side, side), Image.LANCZOS)
    if mask_path is None:
        return img
    m = np.asarray(Image.open(mask_path).resize((side, side), Image.BILINEAR)) >= 64
    # Outline drawn just outside the mask so the defect itself stays visible.
    ring = ndimage.binary_dilation(m, iterations=2) & ~ndimage.binary_dilation(m, iterations=1)
    a = np.asarray(img).copy()
    a[ring] = OUTLINE
    return Image.fromarray(a)


def contact_sheet(data: str, goods: int = 3, side: int = 128, label_w: int = 150) -> Image.Image:
    with open(os.path.join(data, 'benchmark.json')) as f:
        summary = json.load(f)
    kinds = summary['defect_kinds']
    cols = ['good'] * goods + kinds
    gap, head = 4, 22
    sheet = Image.new('RGB', (label_w + len(cols) * (side + gap), head + len(summary['classes']) * (side + gap)),
                      'white')
    d = ImageDraw.Draw(sheet)
    for j, c in enumerate(cols):
        d.text((label_w + j * (side + gap) + side // 2, head // 2), c, fill='black', font=_font(13), anchor='mm')
    for i, entry in enumerate(summary['classes']):
        name, y = entry['name'], head + i * (side + gap)
        d.text((6, y + side // 2 - 16), name, fill='black', font=_font(14))
        src = ', '.join(s['member'].split('/')[-1] if s['member'] else os.path.basename(s['file'])
                        for s in entry['sources'])
        d.text((6, y + side // 2 + 4), src[:24], fill=(90, 90, 90), font=_font(9))
        for j, c in enumerate(cols):
            folder = os.path.join(data, name, 'test', c)
            files = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
            k = j if c == 'good' else 0
            if k >= len(files):
                continue
            mask = None if c == 'good' else os.path.join(data, name, 'ground_truth', c,
                                                          files[k].replace('.png', '_mask.png'))
            sheet.paste(_thumb(os.path.join(folder, files[k]), mask, side), (label_w + j * (side + gap), y))
    return sheet


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog='python -m models.benchmark.sheet', description=__doc__.split('\n')[0])
    p.add_argument('--data', required=True, help='a folder built by models.benchmark.build')
    p.add_argument('--out', required=True, help='PNG to write')
    p.add_argument('--side', type=int, default=128, help='thumbnail side in pixels')
    p.add_argument('--truecolor', action='store_true', help='keep 24-bit colour (about 3x larger)')
    a = p.parse_args(argv)
    if not os.path.exists(os.path.join(a.data, 'benchmark.json')):
        print(f'sheet: {a.data} has no benchmark.json; build it with python -m models.benchmark.build', file=sys.stderr)
        return 2
    sheet = contact_sheet(a.data, side=a.side)
    if not a.truecolor:  # a 256-colour dithered PNG is a third of the size and reads the same in docs
        sheet = sheet.quantize(256, dither=Image.Dither.FLOYDSTEINBERG)
    sheet.save(a.out, optimize=True)
    print(f'sheet: wrote {a.out} ({os.path.getsize(a.out) // 1024} KiB)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
