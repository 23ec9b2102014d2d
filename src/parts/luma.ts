/**
 * The brightness of a frame's region, as the part detectors look at it: the mean luma (BT.601, 0–255) of each cell of
 * a grid over the region. Coarse cells average out sensor noise and compression artefacts (on the demo line's
 * videos a still part changes its 8×8 cells by at most 0.3 levels between frames, the next part by 5.7 and more).
 * Pure.
 */
import type { Frame } from '../types.js';

/** A rectangle of the inspected image (after crop and letterbox), as fractions of its width and height, 0–1. */
export interface Region {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export const wholeImage: Region = { x: 0, y: 0, width: 1, height: 1 };

/** The region's pixel bounds in a `width`×`height` image: at least one pixel, never beyond the image. */
export function regionPixels(region: Region, width: number, height: number): { x0: number; y0: number; x1: number; y1: number } {
  const x0 = Math.min(width - 1, Math.floor(region.x * width));
  const y0 = Math.min(height - 1, Math.floor(region.y * height));
  const x1 = Math.max(x0 + 1, Math.min(width, Math.round((region.x + region.width) * width)));
  const y1 = Math.max(y0 + 1, Math.min(height, Math.round((region.y + region.height) * height)));
  return { x0, y0, x1, y1 };
}

/** Mean luma of each `cell`×`cell` pixel cell of the region, row by row (the last row and column may be narrower). */
export function lumaCells(frame: Pick<Frame, 'width' | 'height' | 'pixels'>, region: Region, cell = 8): Float32Array {
  const { x0, y0, x1, y1 } = regionPixels(region, frame.width, frame.height);
  const cols = Math.ceil((x1 - x0) / cell);
  const rows = Math.ceil((y1 - y0) / cell);
  const sums = new Float64Array(cols * rows);
  const counts = new Uint32Array(cols * rows);
  const { pixels, width } = frame;
  for (let y = y0; y < y1; y++) {
    const row = Math.floor((y - y0) / cell) * cols;
    let i = (y * width + x0) * 3;
    for (let x = x0; x < x1; x++, i += 3) {
      const c = row + Math.floor((x - x0) / cell);
      sums[c]! += 0.299 * pixels[i]! + 0.587 * pixels[i + 1]! + 0.114 * pixels[i + 2]!;
      counts[c]!++;
    }
  }
  return Float32Array.from(sums, (s, c) => s / counts[c]!);
}

/** Mean absolute difference of two cell grids of the same region: how much the picture changed, 0–255. */
export function cellChange(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/** Mean of a cell grid: the region's brightness, 0–255. */
export const meanLuma = (cells: Float32Array): number => cells.reduce((s, v) => s + v, 0) / cells.length;
