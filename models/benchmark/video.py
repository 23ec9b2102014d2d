"""Demo production-line video: test parts of several classes ride a conveyor past a fixed 224x224 camera.

    /usr/bin/python3 -m models.benchmark.video --data /tmp/uniad-bench --out models/demo/line.mp4 \\
        --gt models/demo/line.json

Each part slides in, holds still under the camera for `--hold` frames (the frame is then exactly the test image, up
to H.264 loss), and slides out while the next one comes in (`--move` frames, eased). Half of the parts are defective.
The ground truth JSON lists every frame: class, image, defective, defect kind, and `transition: true` with the
visible parts while the belt moves. Encoded by GStreamer's x264enc (H.264 in MP4), frames piped in as raw RGB.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np
from PIL import Image

from .seeding import rng_for
from .textures import crop_photo

GAP = 40  # belt visible between two parts, px
SIZE = 224


def pick_parts(data: str, n: int, seed: int, classes: list[str] | None = None) -> list[dict]:
    """Chooses n test images: classes in shuffled rounds (so consecutive parts differ), half of them defective."""
    with open(os.path.join(data, 'benchmark.json')) as f:
        summary = json.load(f)
    names = [c['name'] for c in summary['classes'] if not classes or c['name'] in classes]
    if not names:
        raise ValueError(f'no class of {classes} in {data}')
    rng = rng_for(seed, 'video')
    defective = np.array([i % 2 == 1 for i in range(n)])
    rng.shuffle(defective)
    pools: dict[tuple[str, str], list[str]] = {}
    order: list[str] = []
    parts = []
    for i in range(n):
        if not order:
            order = [str(c) for c in rng.permutation(names)]
        name = order.pop()
        test = os.path.join(data, name, 'test')
        kinds = sorted(k for k in os.listdir(test) if k != 'good' and os.listdir(os.path.join(test, k)))
        kind = str(rng.choice(kinds)) if defective[i] and kinds else 'good'
        key = (name, kind)
        if not pools.get(key):  # draw without repeats until a folder is used up
            pools[key] = [str(f) for f in rng.permutation(sorted(os.listdir(os.path.join(test, kind))))]
        fname = pools[key].pop()
        part = {'index': i, 'class': name, 'image': f'{name}/test/{kind}/{fname}', 'defective': kind != 'good',
                'defect': None if kind == 'good' else kind}
        if kind != 'good':
            part['mask'] = f'{name}/ground_truth/{kind}/{fname[:-4]}_mask.png'
        parts.append(part)
    return parts


def _belt(seed: int, width: int) -> np.ndarray:
    """A dark rubber belt: a real stone photo, darkened and desaturated (real grain, no flat colour)."""
    tile, _ = crop_photo('rock_wall', 'train', rng_for(seed, 'belt'), SIZE, max_rotation=0.0)
    g = np.asarray(tile, np.float32).mean(-1) / 255.0
    g = 0.10 + 0.10 * g
    reps = math.ceil(width / SIZE)
    strip = np.concatenate([g if i % 2 == 0 else g[:, ::-1] for i in range(reps)], 1)[:, :width]
    return np.repeat(strip[..., None], 3, -1) * np.array([0.95, 0.97, 1.0], np.float32)


def _smooth(f: float) -> float:
    return f * f * (3 - 2 * f)


def timeline(n_parts: int, hold: int, move: int) -> list[tuple[int, float]]:
    """Per frame: (part under the camera, belt advance in [0, 1) towards the next part)."""
    frames = []
    for c in range(n_parts):
        frames += [(c, 0.0)] * hold
        if c < n_parts - 1:
            frames += [(c, _smooth(m / (move + 1))) for m in range(1, move + 1)]
    return frames


def render_frames(data: str, parts: list[dict], hold: int, move: int, seed: int):
    """Yields (frame RGB uint8, ground-truth entry) for every frame."""
    pitch = SIZE + GAP
    belt = _belt(seed, pitch)
    strips = {}

    def strip(k: int) -> np.ndarray:
        if k not in strips:
            s = (belt * 255).astype(np.uint8)
            s[:, :SIZE] = np.asarray(Image.open(os.path.join(data, parts[k]['image'])).convert('RGB'))
            for old in [j for j in strips if j < k - 1]:  # keep only the parts the current frames use
                del strips[old]
            strips[k] = s
        return strips[k]

    for i, (c, f) in enumerate(timeline(len(parts), hold, move)):
        x = int(round(f * pitch))
        info = {k: parts[c][k] for k in ('class', 'image', 'defective', 'defect')}
        if x == 0:
            yield strip(c)[:, :SIZE], {'frame': i, 'transition': False, **info, 'part': c}
            continue
        both = np.concatenate([strip(c), strip(c + 1)], 1)[:, x:x + SIZE]
        visible = [{'part': c, 'x': -x, **info}]
        nxt_info = {k: parts[c + 1][k] for k in ('class', 'image', 'defective', 'defect')}
        if x + SIZE > pitch:
            visible.append({'part': c + 1, 'x': pitch - x, **nxt_info})
        main = info if x < SIZE / 2 + GAP / 2 else nxt_info
        yield both, {'frame': i, 'transition': True, **main, 'part': c if main is info else c + 1, 'visible': visible}


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


def make_video(data: str, out: str, gt: str, seconds: float = 90, fps: int = 10, hold: int = 12, move: int = 8,
               seed: int = 0, classes: list[str] | None = None) -> dict:
    """Renders and encodes the video, writes the ground truth JSON and returns it."""
    cycle = hold + move
    n_parts = max(2, int(round((seconds * fps + move) / cycle)))
    parts = pick_parts(data, n_parts, seed, classes)
    entries = []

    def frames():
        for frame, entry in render_frames(data, parts, hold, move, seed):
            entries.append(entry)
            yield frame

    for p in (out, gt):
        os.makedirs(os.path.dirname(os.path.abspath(p)), exist_ok=True)
    encode(frames(), out, fps)
    for p in parts:
        held = [e['frame'] for e in entries if not e['transition'] and e['part'] == p['index']]
        p['first_frame'], p['last_frame'] = held[0], held[-1]
    truth = {'video': os.path.basename(out), 'fps': fps, 'size': [SIZE, SIZE], 'frames_total': len(entries),
             'hold_frames': hold, 'move_frames': move, 'seed': seed, 'data': os.path.abspath(data),
             'note': 'image paths are relative to data (a models.benchmark.build folder); transition frames name '
                     'the part covering most of the frame and list all visible parts with their left edge x',
             'parts': parts, 'frames': entries}
    with open(gt, 'w') as f:
        json.dump(truth, f, indent=None, separators=(',', ':'))
        f.write('\n')
    return truth


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog='python -m models.benchmark.video', description=__doc__.split('\n')[0])
    p.add_argument('--data', required=True, help='a folder built by models.benchmark.build')
    p.add_argument('--out', required=True, help='MP4 to write (H.264)')
    p.add_argument('--gt', required=True, help='ground truth JSON to write')
    p.add_argument('--seconds', type=float, default=90)
    p.add_argument('--fps', type=int, default=10)
    p.add_argument('--hold', type=int, default=12, help='frames a part stays still under the camera')
    p.add_argument('--move', type=int, default=8, help='frames the belt moves between two parts')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--classes', default=None, help='comma-separated subset of the built classes')
    a = p.parse_args(argv)
    if not os.path.exists(os.path.join(a.data, 'benchmark.json')):
        print(f'video: {a.data} has no benchmark.json; build it with python -m models.benchmark.build', file=sys.stderr)
        return 2
    classes = [c for c in a.classes.split(',') if c] if a.classes else None
    truth = make_video(a.data, a.out, a.gt, a.seconds, a.fps, a.hold, a.move, a.seed, classes)
    bad = sum(p['defective'] for p in truth['parts'])
    print(f'video: {a.out} {truth["frames_total"]} frames ({truth["frames_total"] / a.fps:.1f} s), '
          f'{len(truth["parts"])} parts ({bad} defective), {os.path.getsize(a.out) / 1e6:.2f} MB; truth in {a.gt}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
