/**
 * Where the tiles of a region lie. Pure; `models/uniad/tiles.py` is its twin (test/tiles/parity.test.ts).
 *
 * A region image (at the tiling scale) of `length` pixels along an axis is covered by the fewest tiles of `tile`
 * pixels that overlap by at least `overlap`, spread evenly: the first flush with the start, the last with the end,
 * the ones between at integer (truncated) positions. Every pixel is then in a tile, and a pixel within
 * `overlap / 2` of one tile's edge is at least `overlap / 2` inside its neighbour (stitch.ts relies on it).
 */
import type { Crop } from '../types.js';

/** The start of each tile along one axis. */
export function tileOrigins(length: number, tile: number, overlap: number): number[] {
  for (const [name, v] of Object.entries({ length, tile, overlap })) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`tiles: ${name} must be a whole number >= 0, got ${v}`);
  }
  if (tile < 1 || length < tile) throw new RangeError(`tiles: a region of ${length} px cannot hold a tile of ${tile} px`);
  if (overlap >= tile) throw new RangeError(`tiles: an overlap of ${overlap} px leaves nothing of a ${tile} px tile`);
  if (length === tile) return [0];
  // n tiles of `tile` px overlapping by `overlap` cover n·tile − (n−1)·overlap px.
  const n = Math.ceil((length - overlap) / (tile - overlap));
  return Array.from({ length: n }, (_, i) => Math.floor((i * (length - tile)) / (n - 1)));
}

/** The tiles of a width x height region image, row-major. */
export function tileGrid(width: number, height: number, tileWidth: number, tileHeight: number, overlap: number): Crop[] {
  const xs = tileOrigins(width, tileWidth, overlap);
  return tileOrigins(height, tileHeight, overlap).flatMap((y) => xs.map((x) => ({ x, y, width: tileWidth, height: tileHeight })));
}

/** The size of a region image at tiling scale `scale` (1 = camera pixels), rounded half up. */
export function scaledSize(region: { readonly width: number; readonly height: number }, scale: number): { width: number; height: number } {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`tiles: scale must be a positive number, got ${scale}`);
  return { width: Math.max(1, Math.floor(region.width * scale + 0.5)), height: Math.max(1, Math.floor(region.height * scale + 0.5)) };
}
