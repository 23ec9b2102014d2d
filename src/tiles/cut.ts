/** Cutting a tile out of a region image: rows copied, never resampled. Pure. */
import type { Crop } from '../types.js';

/** The pixels of `tile` in an RGB image `width` px wide (tightly packed rows), tightly packed. */
export function cutTile(pixels: Uint8Array, width: number, tile: Crop): Uint8Array {
  const row = tile.width * 3;
  const out = new Uint8Array(row * tile.height);
  for (let y = 0; y < tile.height; y++) {
    const from = ((tile.y + y) * width + tile.x) * 3;
    out.set(pixels.subarray(from, from + row), y * row);
  }
  return out;
}
