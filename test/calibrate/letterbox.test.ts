import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { letterbox, letterboxRect } from '../../src/geometry/letterbox.js';
import { readPngRgb } from '../../src/calibrate/read-image.js';

const solid = (width: number, height: number, rgb: [number, number, number]) => {
  const pixels = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) pixels.set(rgb, i * 3);
  return { width, height, pixels };
};
const at = (img: { width: number; pixels: Uint8Array }, x: number, y: number) => Array.from(img.pixels.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

describe('letterbox', () => {
  it('should return an image of the model size unchanged', () => {
    const img = solid(8, 8, [1, 2, 3]);
    expect(letterbox(img, 8, 8)).toBe(img);
  });

  it('should keep a wide image undistorted with black bars above and below', () => {
    expect(letterboxRect(200, 100, 64, 64)).toEqual({ x: 0, y: 16, width: 64, height: 32 });
    const out = letterbox(solid(200, 100, [200, 100, 50]), 64, 64);
    expect(at(out, 32, 0)).toEqual([0, 0, 0]);
    expect(at(out, 32, 15)).toEqual([0, 0, 0]);
    expect(at(out, 32, 16)).toEqual([200, 100, 50]);
    expect(at(out, 32, 47)).toEqual([200, 100, 50]);
    expect(at(out, 32, 48)).toEqual([0, 0, 0]);
  });

  it('should interpolate bilinearly: a 2-pixel ramp doubled keeps its ends and steps a quarter in between', () => {
    const src = { width: 2, height: 1, pixels: new Uint8Array([0, 0, 0, 100, 100, 100]) };
    const out = letterbox(src, 4, 2);
    expect([0, 1, 2, 3].map((x) => at(out, x, 0)[0])).toEqual([0, 25, 75, 100]);
  });
});

describe('readPngRgb', () => {
  it('should read RGBA and greyscale PNGs as RGB', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uniad-png-'));
    const rgba = new PNG({ width: 2, height: 1 });
    rgba.data.set([10, 20, 30, 255, 40, 50, 60, 0]);
    writeFileSync(join(dir, 'rgba.png'), PNG.sync.write(rgba));
    expect(Array.from(readPngRgb(join(dir, 'rgba.png')).pixels)).toEqual([10, 20, 30, 40, 50, 60]);
    const grey = new PNG({ width: 1, height: 1 });
    grey.data.set([77, 77, 77, 255]);
    writeFileSync(join(dir, 'grey.png'), PNG.sync.write(grey, { colorType: 0 }));
    expect(Array.from(readPngRgb(join(dir, 'grey.png')).pixels)).toEqual([77, 77, 77]);
  });
});
