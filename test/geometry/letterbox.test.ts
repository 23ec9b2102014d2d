/**
 * One letterbox for calibration, evaluation, training and the runtime: geometry/letterbox.ts against the runtime's own
 * launch string run by gst-launch-1.0 on the same image, and against models/uniad/letterbox.py run by Python. Odd
 * aspect ratios (200x301 and 1000x333 were a row or column apart between calibration and the runtime), one-pixel
 * images, an exact fit, 16:9 into a square, and a source so thin that its scaled side truncates to nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPngRgb } from '../../src/calibrate/read-image.js';
import { letterbox, letterboxMask, letterboxRect, type RgbImage } from '../../src/geometry/letterbox.js';
import { launchString } from '../../src/sources/launch.js';
import { repoRoot } from '../setup/paths.js';

interface Case {
  readonly src: [number, number];
  readonly out: [number, number];
  /** GStreamer's rectangle, written out: what the runtime does, not what this file computes. */
  readonly rect: [number, number, number, number];
}

const cases: Case[] = [
  { src: [200, 301], out: [224, 224], rect: [38, 0, 148, 224] }, // calibration rounded to 149 wide
  { src: [1000, 333], out: [224, 224], rect: [0, 75, 224, 74] }, // calibration rounded to 75 high
  { src: [1920, 1080], out: [224, 224], rect: [0, 49, 224, 126] },
  { src: [1000, 1001], out: [224, 224], rect: [0, 0, 224, 224] }, // truncates to the full height: no border at all
  { src: [448, 448], out: [224, 224], rect: [0, 0, 224, 224] },
  { src: [1, 100], out: [224, 224], rect: [111, 0, 2, 224] },
  { src: [100, 1], out: [224, 224], rect: [0, 111, 224, 2] },
  { src: [37, 91], out: [224, 224], rect: [66, 0, 91, 224] }, // enlarged
  { src: [301, 200], out: [64, 48], rect: [0, 3, 64, 42] },
  { src: [640, 480], out: [225, 50], rect: [79, 0, 66, 50] }, // rows of odd length
  { src: [1000, 1], out: [224, 224], rect: [0, 112, 224, 0] }, // scaled to nothing: a black frame
];

const name = (c: Case) => `${c.src.join('x')}-to-${c.out.join('x')}`;

/** Deterministic noise in 1..255: the worst case for rounding, and black only where the border is. */
function noise(width: number, height: number, seed: number): RgbImage {
  const pixels = new Uint8Array(width * height * 3);
  let x = seed;
  for (let i = 0; i < pixels.length; i++) pixels[i] = 1 + ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24) % 255;
  return { width, height, pixels };
}

function writePng(path: string, img: RgbImage): void {
  const png = new PNG({ width: img.width, height: img.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(img.pixels);
  writeFileSync(path, PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false }));
}

/** The frame the runtime's software launch string makes of the image file, its rows unpadded. */
function runtimeFrame(path: string, [width, height]: [number, number]): Uint8Array {
  const raw = `${path}.gst.rgb`;
  const desc = launchString({ kind: 'file', path }, { width, height }).replace(/appsink .*$/, `filesink location=${raw}`);
  // One argument a word: gst-launch-1.0 escapes the spaces inside an argument. (The temporary folder has none.)
  execFileSync('gst-launch-1.0', ['-q', ...desc.split(' ')], { timeout: 60_000 });
  const bytes = readFileSync(raw);
  const stride = Math.ceil((width * 3) / 4) * 4; // GStreamer pads RGB rows to 4 bytes
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) out.set(bytes.subarray(y * stride, y * stride + width * 3), y * width * 3);
  return out;
}

/** The non-black rectangle of a frame, [x, y, width, height]; [0, 0, 0, 0] when all black. */
function content(pixels: Uint8Array, width: number, height: number): [number, number, number, number] {
  let [x0, y0, x1, y1] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      if (pixels[o]! + pixels[o + 1]! + pixels[o + 2]! === 0) continue;
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
  }
  return x1 < 0 ? [0, 0, 0, 0] : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

/** How many bytes differ, and by how much at most. */
function difference(a: Uint8Array, b: Uint8Array): { bytes: number; max: number } {
  let [bytes, max] = [0, 0];
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > 0) [bytes, max] = [bytes + 1, Math.max(max, d)];
  }
  return { bytes, max };
}

// models/uniad/letterbox.py on each image (bilinear) and on its first channel as a mask (nearest), written raw.
const python = `
import json, sys
import numpy as np
from PIL import Image
from models.uniad.letterbox import letterbox
for path, w, h in json.load(open(sys.argv[1])):
    with Image.open(path) as im:
        np.asarray(letterbox(im.convert('RGB'), w, h)).tofile(path + '.py.rgb')
        mask = Image.fromarray(np.asarray(im.convert('RGB'))[:, :, 0])
        np.asarray(letterbox(mask, w, h, Image.NEAREST)).tofile(path + '.py.mask')
`;

describe('one letterbox: calibration, evaluation, training and the runtime', () => {
  let dir: string;
  const path = (c: Case) => join(dir, `${name(c)}.png`);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'uniad-letterbox-'));
    for (const [i, c] of cases.entries()) writePng(path(c), noise(c.src[0], c.src[1], i + 1));
    writeFileSync(join(dir, 'cases.json'), JSON.stringify(cases.map((c) => [path(c), ...c.out])));
    execFileSync('/usr/bin/python3', ['-c', python, join(dir, 'cases.json')], { cwd: repoRoot, timeout: 120_000 });
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(cases)('should place $src in $out where GStreamer places it', (c) => {
    const r = letterboxRect(c.src[0], c.src[1], c.out[0], c.out[1]);
    expect([r.x, r.y, r.width, r.height]).toEqual(c.rect);
    expect(content(runtimeFrame(path(c), c.out), c.out[0], c.out[1])).toEqual(r.width * r.height === 0 ? [0, 0, 0, 0] : c.rect);
  });

  it.each(cases)('should scale $src into $out to the same bytes as GStreamer and as the Python letterbox', (c) => {
    const ours = letterbox(readPngRgb(path(c)), c.out[0], c.out[1]).pixels;
    const gst = runtimeFrame(path(c), c.out);
    const py = new Uint8Array(readFileSync(`${path(c)}.py.rgb`));
    // Measured on GStreamer 1.22 (Debian 12): no byte differs. Before, on this noise, calibration's letterbox was a
    // column (200x301) or a row (1000x333) apart, bytes off by up to 246, and elsewhere off by up to 3 (rounding);
    // training's (PIL's bilinear, which averages when shrinking) was off by up to 133, 9 to 22 on average.
    expect(difference(ours, gst)).toEqual({ bytes: 0, max: 0 });
    expect(difference(py, ours)).toEqual({ bytes: 0, max: 0 });
  });

  it('should letterbox a mask like its image: the same rectangle, nearest samples, as the Python twin does', () => {
    for (const c of cases) {
      const img = readPngRgb(path(c));
      const values = img.pixels.filter((_, i) => i % 3 === 0);
      const mask = letterboxMask({ width: img.width, height: img.height, values }, c.out[0], c.out[1]);
      expect(Buffer.from(mask).equals(readFileSync(`${path(c)}.py.mask`)), name(c)).toBe(true);
      const image = letterbox(img, c.out[0], c.out[1]).pixels;
      const apart = mask.filter((v, i) => (v === 0) !== (image[i * 3]! + image[i * 3 + 1]! + image[i * 3 + 2]! === 0)).length;
      expect(apart, `${name(c)}: pixels where the mask's border and the image's differ`).toBe(0);
    }
  });

  it('should refuse a size that is not a positive integer, naming it', () => {
    expect(() => letterboxRect(0, 10, 224, 224)).toThrow('letterbox: srcWidth must be a positive integer, got 0');
    expect(() => letterboxRect(10, 10, 224.5, 224)).toThrow('letterbox: width must be a positive integer, got 224.5');
  });
});
