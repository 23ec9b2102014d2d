"""Demo production line: one inspection station per product, each a fixed 224x224 camera filming its own video.

    /usr/bin/python3 -m models.benchmark.video --data /tmp/uniad-bench --out models/demo/line --gt models/demo/line.json

A real line runs one product per camera, so each class gets its own station video (``<out>/<class>.mp4``) of test
parts of that class only, half of them defective. The line indexes: a part arrives, stops under the camera, and is
inspected on every frame of its ``--hold`` frames (a triggered camera sees only parts in position), then the next
part replaces it — every frame shows exactly one part, so each verdict belongs to one part, as a reject actuator
needs it to. The ground truth JSON lists every station: product, video, and every part with its image, defect kind
and frame range. Encoded by GStreamer's x264enc (H.264 in MP4), frames piped in as raw RGB.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys

import numpy as np
from PIL import Image

from .seeding import rng_for

SIZE = 224


def pick_parts(data: str, cls: str, n: int, seed: int) -> list[dict]:
    """n test images of class `cls`, half of them defective (kinds drawn without repeats while they last), shuffled."""
    rng = rng_for(seed, 'station', cls)
    test = os.path.join(data, cls, 'test')
    if not os.path.isdir(test):
        raise ValueError(f'{data} has no {cls}/test folder')
    kinds = sorted(k for k in os.listdir(test) if k != 'good' and os.listdir(os.path.join(test, k)))
    n_bad = n // 2 if kinds else 0
    bad_kinds: list[str] = []
    while len(bad_kinds) < n_bad:
        bad_kinds += [str(k) for k in rng.permutation(kinds)]
    chosen = ['good'] * (n - n_bad) + bad_kinds[:n_bad]
    pools = {k: [str(f) for f in rng.permutation(sorted(os.listdir(os.path.join(test, k))))] for k in set(chosen)}
    parts = []
    for kind in (chosen[i] for i in rng.permutation(n)):
        if not pools[kind]:
            raise ValueError(f'{cls}/test/{kind} has too few images for {n} parts')
        fname = pools[kind].pop()
        part = {'class': cls, 'image': f'{cls}/test/{kind}/{fname}', 'defective': kind != 'good',
                'defect': None if kind == 'good' else kind}
        if kind != 'good':
            part['mask'] = f'{cls}/ground_truth/{kind}/{fname[:-4]}_mask.png'
        parts.append(part)
    return parts


def encode(frames, out: str, fps: int, quality: int = 20) -> None:
    """Pipes raw RGB frames into gst-launch-1.0 (x264enc, MP4)."""
    if shutil.which('gst-launch-1.0') is None:
        raise FileNotFoundError('gst-launch-1.0 not found: install the Debian packages gstreamer1.0-tools '
                                'gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly')
    cmd = ['gst-launch-1.0', '-q', 'fdsrc', 'fd=0', f'blocksize={SIZE * SIZE * 3}', '!',
           'rawvideoparse', f'width={SIZE}', f'height={SIZE}', 'format=rgb', f'framerate={fps}/1', '!',
           'videoconvert', '!', 'video/x-raw,format=I420', '!',
           'x264enc', 'pass=qual', f'quantizer={quality}', 'speed-preset=medium', 'tune=zerolatency',
           f'key-int-max={2 * fps}', '!', 'video/x-h264,profile=main', '!', 'h264parse', '!', 'mp4mux', '!',
           'filesink', f'location={out}']
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    try:
        for frame in frames:
            proc.stdin.write(np.ascontiguousarray(frame, np.uint8).tobytes())
    finally:
        proc.stdin.close()
        rc = proc.wait()
    if rc != 0:
        raise RuntimeError(f'gst-launch-1.0 failed with exit code {rc} while writing {out}')


def make_line(data: str, out_dir: str, gt: str, parts_per_station: int = 8, hold: int = 5, fps: int = 5,
              seed: int = 0, classes: list[str] | None = None) -> dict:
    """Renders and encodes one station video per class, writes the ground truth JSON and returns it."""
    with open(os.path.join(data, 'benchmark.json')) as f:
        built = [c['name'] for c in json.load(f)['classes']]
    names = [c for c in built if not classes or c in classes]
    if classes and len(names) != len(classes):
        raise ValueError(f'classes {sorted(set(classes) - set(built))} are not in {data}')
    os.makedirs(out_dir, exist_ok=True)
    os.makedirs(os.path.dirname(os.path.abspath(gt)), exist_ok=True)
    stations = []
    for cls in names:
        parts = pick_parts(data, cls, parts_per_station, seed)
        images = [np.asarray(Image.open(os.path.join(data, p['image'])).convert('RGB')) for p in parts]
        video = os.path.join(out_dir, f'{cls}.mp4')
        encode((img for img in images for _ in range(hold)), video, fps)
        for i, p in enumerate(parts):
            p.update(index=i, first_frame=i * hold, last_frame=(i + 1) * hold - 1)
        stations.append({'product': cls, 'video': os.path.relpath(video, os.path.dirname(os.path.abspath(gt))),
                         'frames_total': len(parts) * hold, 'parts': parts})
    truth = {'fps': fps, 'size': [SIZE, SIZE], 'hold_frames': hold, 'seed': seed, 'data': os.path.abspath(data),
             'note': 'one station (camera) per product; every frame shows exactly one part, frames '
                     'first_frame..last_frame of it; video paths are relative to this file, image paths to data '
                     '(a models.benchmark.build folder)',
             'stations': stations}
    with open(gt, 'w') as f:
        json.dump(truth, f, indent=1)
        f.write('\n')
    return truth


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog='python -m models.benchmark.video', description=__doc__.split('\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--data', required=True, help='a folder built by models.benchmark.build')
    p.add_argument('--out', required=True, help='folder for the station videos (<class>.mp4, H.264)')
    p.add_argument('--gt', required=True, help='ground truth JSON to write')
    p.add_argument('--parts', type=int, default=8, help='parts a station, half of them defective')
    p.add_argument('--hold', type=int, default=5, help='frames a part stays under the camera')
    p.add_argument('--fps', type=int, default=5)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--classes', default=None, help='comma-separated subset of the built classes (default: all)')
    a = p.parse_args(argv)
    if not os.path.exists(os.path.join(a.data, 'benchmark.json')):
        print(f'video: {a.data} has no benchmark.json; build it with python -m models.benchmark.build', file=sys.stderr)
        return 2
    classes = [c for c in a.classes.split(',') if c] if a.classes else None
    try:
        truth = make_line(a.data, a.out, a.gt, a.parts, a.hold, a.fps, a.seed, classes)
    except ValueError as e:
        print(f'video: {e}', file=sys.stderr)
        return 2
    parts = [p for s in truth['stations'] for p in s['parts']]
    size = sum(os.path.getsize(os.path.join(a.out, f'{s["product"]}.mp4')) for s in truth['stations'])
    print(f'video: {len(truth["stations"])} stations in {a.out}, {len(parts)} parts '
          f'({sum(p["defective"] for p in parts)} defective), {size / 1e6:.2f} MB; truth in {a.gt}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
