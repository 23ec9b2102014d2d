/**
 * Crafted frames for the collect gates, as a camera would deliver them (224 × 224 RGB) and written as real PNG files:
 * a textured part on a belt, and that part blurred, in the dark, overexposed, repeated with sensor noise, moved, and
 * the belt without it. Deterministic (a seeded generator), so every run judges the same pixels.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RgbImage } from '../../src/geometry/letterbox.js';
import { encodeRgbPng } from '../../src/images/png-encode.js';

export const size = 224;

/** A seeded generator (a linear congruential one): the same noise on every run. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

function image(paint: (x: number, y: number) => [number, number, number]): RgbImage {
  const pixels = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const [r, g, b] = paint(x, y);
      pixels.set([clamp(r), clamp(g), clamp(b)], (y * size + x) * 3);
    }
  }
  return { width: size, height: size, pixels };
}

/** The belt: mid grey with a faint weave and sensor noise of `seed`. */
function beltLevel(x: number, y: number, noise: () => number): number {
  return 118 + 3 * Math.sin(x / 3) * Math.cos(y / 5) + (noise() - 0.5) * 6;
}

/** The empty belt. */
export const belt = (seed = 1): RgbImage => {
  const noise = random(seed);
  return image((x, y) => {
    const v = beltLevel(x, y, noise);
    return [v, v, v + 4];
  });
};

/** A washer-like part centred at (cx, cy), `outer` pixels in radius: a knurled ring with sharp edges, on the belt. */
export const part = (seed = 1, cx = 112, cy = 112, outer = 70): RgbImage => {
  const noise = random(seed);
  return image((x, y) => {
    const r = Math.hypot(x - cx, y - cy);
    const v = beltLevel(x, y, noise);
    if (r > outer || r < outer * 0.36) return [v, v, v + 4];
    const knurl = (Math.floor(Math.atan2(y - cy, x - cx) * 12) + Math.floor(r / 6)) % 2 === 0 ? 235 : 150;
    return [knurl, knurl - 10, knurl - 20];
  });
};

/** A box blur of `radius`, twice: a lens out of focus. */
export function blurred(img: RgbImage, radius: number): RgbImage {
  let src = img.pixels;
  for (const horizontal of [true, false, true, false]) {
    const out = new Uint8Array(src.length);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (let d = -radius; d <= radius; d++) {
            const xx = horizontal ? Math.min(size - 1, Math.max(0, x + d)) : x;
            const yy = horizontal ? y : Math.min(size - 1, Math.max(0, y + d));
            sum += src[(yy * size + xx) * 3 + c]!;
          }
          out[(y * size + x) * 3 + c] = Math.round(sum / (2 * radius + 1));
        }
      }
    }
    src = out;
  }
  return { ...img, pixels: src };
}

/** Every channel times `gain`, plus `offset`, clipped: under- or overexposed. */
export const exposed = (img: RgbImage, gain: number, offset = 0): RgbImage => ({ ...img, pixels: img.pixels.map((v) => clamp(v * gain + offset)) });

/** The same picture with fresh sensor noise of ± `amplitude` grey levels. */
export function noisy(img: RgbImage, amplitude: number, seed: number): RgbImage {
  const noise = random(seed);
  return { ...img, pixels: img.pixels.map((v) => clamp(v + (noise() * 2 - 1) * amplitude)) };
}

/** The picture letterboxed as a 4:3 camera's is into 224 × 224: black bars of 28 rows above and below. */
export function letterboxed(img: RgbImage): RgbImage {
  const pixels = new Uint8Array(img.pixels);
  pixels.fill(0, 0, 28 * size * 3);
  pixels.fill(0, (size - 28) * size * 3);
  return { ...img, pixels };
}

/** Writes `img` as `<dir>/<name>.png` and returns the path. */
export function writePng(dir: string, name: string, img: RgbImage): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  writeFileSync(path, encodeRgbPng(img.width, img.height, img.pixels));
  return path;
}
