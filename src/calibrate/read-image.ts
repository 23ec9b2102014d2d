import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import type { RgbImage } from '../geometry/letterbox.js';

/**
 * Reads a PNG (any colour type and bit depth pngjs reads: grey, palette, RGB, with or without alpha) as 8-bit RGB.
 * Alpha is dropped: a camera has none. Only PNG: the benchmark and most inspection rigs export it losslessly.
 */
export function readPngRgb(path: string): RgbImage {
  const png = PNG.sync.read(readFileSync(path));
  const { width, height, data } = png;
  const pixels = new Uint8Array(width * height * 3);
  for (let i = 0, o = 0; i < width * height * 4; i += 4, o += 3) {
    pixels[o] = data[i]!;
    pixels[o + 1] = data[i + 1]!;
    pixels[o + 2] = data[i + 2]!;
  }
  return { width, height, pixels };
}
