/**
 * One anomaly map of a region from the maps of its tiles (each the size of its tile). Pure.
 *
 * Where tiles overlap, the region's map takes the HIGHER of their values. A defect on one tile's edge is cut off and
 * seen without its surroundings there, but lies at least the overlap inside the next tile, which sees it whole: the
 * maximum keeps that tile's full response (an average would halve it with the edge tile's weak one, and could lose a
 * defect on a border that either tile alone would find; test/tiles/border.test.ts). Each pixel of the region is one
 * pixel of the map, so a defect seen by two tiles is one spot, never two: nothing is counted twice.
 */
import type { Crop } from '../types.js';

export function stitchMax(width: number, height: number, tiles: readonly Crop[], maps: readonly Float32Array[]): Float32Array {
  if (maps.length !== tiles.length) throw new RangeError(`stitch: ${maps.length} maps for ${tiles.length} tiles`);
  const out = new Float32Array(width * height).fill(-Infinity);
  tiles.forEach((t, i) => {
    const map = maps[i]!;
    if (map.length !== t.width * t.height) throw new RangeError(`stitch: tile ${i} is ${t.width}x${t.height}, its map has ${map.length} values`);
    for (let y = 0; y < t.height; y++) {
      const row = (t.y + y) * width + t.x;
      for (let x = 0; x < t.width; x++) {
        const v = map[y * t.width + x]!;
        const was = out[row + x]!;
        // A NaN wins and stays, so a broken tile is not hidden by its neighbour (pipeline/finite.ts refuses it).
        if (!(v <= was) && !Number.isNaN(was)) out[row + x] = v;
      }
    }
  });
  return out;
}
