import { describe, expect, it } from 'vitest';
import { cutTile } from '../../src/tiles/cut.js';
import { scaledSize, tileGrid, tileOrigins } from '../../src/tiles/grid.js';
import { ignoreMask } from '../../src/tiles/ignore.js';
import { cameraLayouts, regionLayout } from '../../src/tiles/layout.js';
import { pooledMax } from '../../src/tiles/score.js';
import { stitchMax } from '../../src/tiles/stitch.js';

describe('tile grid', () => {
  it('should cover a region with the fewest tiles that overlap by at least the overlap, first and last flush', () => {
    for (const [length, tile, overlap] of [[224, 224, 32], [225, 224, 32], [992, 224, 32], [2448, 224, 32], [2048, 224, 0], [1000, 64, 16]] as const) {
      const origins = tileOrigins(length, tile, overlap);
      expect(origins[0]).toBe(0);
      expect(origins.at(-1)! + tile).toBe(length);
      for (let i = 1; i < origins.length; i++) expect(origins[i]! - origins[i - 1]!).toBeLessThanOrEqual(tile - overlap);
      // one tile fewer would leave a gap or overlap less
      if (origins.length > 1) expect((origins.length - 1) * tile - (origins.length - 2) * overlap).toBeLessThan(length);
    }
    expect(tileOrigins(992, 224, 32)).toEqual([0, 192, 384, 576, 768]);
    expect(tileOrigins(2448, 224, 32)).toHaveLength(13);
  });

  it('should refuse a region smaller than a tile and an overlap as large as a tile', () => {
    expect(() => tileOrigins(200, 224, 32)).toThrow(/cannot hold a tile/);
    expect(() => tileOrigins(500, 224, 224)).toThrow(/leaves nothing/);
  });

  it('should list tiles row-major and scale a region rounding half up', () => {
    expect(tileGrid(416, 224, 224, 224, 32).map((t) => [t.x, t.y])).toEqual([[0, 0], [192, 0]]);
    expect(scaledSize({ width: 2448, height: 2048 }, 0.5)).toEqual({ width: 1224, height: 1024 });
    expect(scaledSize({ width: 5, height: 3 }, 0.5)).toEqual({ width: 3, height: 2 });
  });

  it('should cut a tile as the rows of the image, untouched', () => {
    const width = 5;
    const pixels = Uint8Array.from({ length: width * 4 * 3 }, (_, i) => i);
    const tile = cutTile(pixels, width, { x: 1, y: 2, width: 3, height: 2 });
    expect([...tile]).toEqual([...pixels.subarray((2 * 5 + 1) * 3, (2 * 5 + 4) * 3), ...pixels.subarray((3 * 5 + 1) * 3, (3 * 5 + 4) * 3)]);
  });
});

describe('stitch and score', () => {
  it('should keep the tile that sees a defect whole where tiles overlap, not average it with the one that sees its edge', () => {
    const left = new Float32Array(16);
    const right = new Float32Array(16);
    for (let y = 0; y < 4; y++) {
      left[y * 4 + 3] = 1; // the defect at the left tile's edge: cut off, a weak response
      right[y * 4 + 1] = 5; // the same column, inside the right tile: its whole response
    }
    const map = stitchMax(6, 4, [{ x: 0, y: 0, width: 4, height: 4 }, { x: 2, y: 0, width: 4, height: 4 }], [left, right]);
    expect([0, 1, 2, 3].map((y) => map[y * 6 + 3])).toEqual([5, 5, 5, 5]);
    // one spot, where the defect is: nothing counted twice
    expect([...map].filter((v) => v > 0)).toHaveLength(4);
    expect(pooledMax(map, 6, 4, 1)).toEqual({ score: 5, x: 3, y: 0 });
  });

  it('should keep a NaN of any tile, so a broken tile is not hidden by its neighbour', () => {
    const a = new Float32Array(4).fill(Number.NaN);
    const b = new Float32Array(4).fill(1);
    const map = stitchMax(3, 2, [{ x: 0, y: 0, width: 2, height: 2 }, { x: 1, y: 0, width: 2, height: 2 }], [a, b]);
    expect(Number.isNaN(map[1]!)).toBe(true);
    expect(Number.isNaN(pooledMax(map, 3, 2, 1).score)).toBe(true);
  });

  it('should score as the maximum of the k x k mean, windows wholly inside the map', () => {
    const w = 7;
    const h = 5;
    const map = Float32Array.from({ length: w * h }, (_, i) => ((i * 37) % 11) / 3);
    for (const k of [1, 2, 3, 5]) {
      let best = -Infinity;
      for (let y = 0; y + k <= h; y++) {
        for (let x = 0; x + k <= w; x++) {
          let sum = 0;
          for (let j = 0; j < k; j++) for (let i = 0; i < k; i++) sum += map[(y + j) * w + x + i]!;
          best = Math.max(best, sum / (k * k));
        }
      }
      expect(pooledMax(map, w, h, k).score).toBeCloseTo(best, 10);
    }
    expect(() => pooledMax(map, w, h, 6)).toThrow(/does not fit/);
  });
});

describe('ignore mask and layouts', () => {
  it('should ignore the map pixels whose centre lies in a rectangle or polygon, in camera pixels', () => {
    const source = { x: 100, y: 50, width: 40, height: 20 };
    const mask = ignoreMask([{ x: 100, y: 50, width: 10, height: 20 }, { polygon: [[130, 60], [140, 60], [140, 70]] }], { mapWidth: 20, mapHeight: 10, image: { x: 0, y: 0, width: 20, height: 10 }, source })!;
    // scale 0.5: map pixel (i, j) shows camera pixel (100 + 2i + 1, 50 + 2j + 1)
    expect(mask[0]).toBe(1); // camera (101, 51) in the rectangle
    expect(mask[4]).toBe(1); // camera (109, 51)
    expect(mask[5]).toBe(0); // camera (111, 51)
    expect(mask[5 * 20 + 19]).toBe(1); // camera (139, 61): inside the triangle
    expect(mask[9 * 20 + 15]).toBe(0); // camera (131, 69): past its hypotenuse
    expect(ignoreMask([{ x: 0, y: 0, width: 10, height: 10 }], { mapWidth: 20, mapHeight: 10, image: { x: 0, y: 0, width: 20, height: 10 }, source })).toBeUndefined();
  });

  it('should lay out a tiled region at its scale and a letterboxed one at the model input, and say what to change when tiles do not fit', () => {
    const input = { width: 224, height: 224 };
    const tiled = regionLayout('cam', { name: 'belt', x: 0, y: 0, width: 2448, height: 2048, tiles: { scale: 1, overlap: 32 } }, input);
    expect([tiled.width, tiled.height, tiled.tiles?.length]).toEqual([2448, 2048, 13 * 11]);
    const half = regionLayout('cam', { name: 'belt', x: 0, y: 0, width: 2448, height: 2048, tiles: { scale: 0.5, overlap: 32 } }, input);
    expect([half.width, half.height, half.tiles?.length]).toEqual([1224, 1024, 7 * 6]);
    const whole = regionLayout('cam', { name: 'all', x: 0, y: 0, width: 2448, height: 2048 }, input);
    expect([whole.width, whole.height, whole.tiles]).toEqual([224, 224, undefined]);
    expect(() => regionLayout('cam', { name: 'strip', x: 0, y: 0, width: 2448, height: 150, tiles: { scale: 1, overlap: 32 } }, input)).toThrow(/camera cam, region strip: at tiles.scale 1 it is 2448x150 px, smaller than one tile .*raise tiles.scale to at least 1.494/);
    expect(() => regionLayout('cam', { name: 'belt', x: 0, y: 0, width: 2448, height: 2048, tiles: { scale: 1, overlap: 112 } }, input)).toThrow(/half a tile/);
  });

  it('should give a camera with ignored areas and no regions one region, its whole image letterboxed', () => {
    const layouts = cameraLayouts({ id: 'cam', size: { width: 640, height: 480 }, ignore: [{ x: 0, y: 0, width: 640, height: 40 }] }, { width: 64, height: 64 })!;
    expect(layouts.map((l) => [l.name, l.source, l.width, l.height, l.tiles])).toEqual([['frame', { x: 0, y: 0, width: 640, height: 480 }, 64, 64, undefined]]);
    // letterboxed 640x480 into 64x64 is 64x48 from row 8: the top 40 camera rows are the first 4 of those
    const ignore = layouts[0]!.ignore!;
    expect([ignore[7 * 64], ignore[8 * 64], ignore[11 * 64], ignore[12 * 64]]).toEqual([0, 1, 1, 0]);
    expect(cameraLayouts({ id: 'cam' }, { width: 64, height: 64 })).toBeUndefined();
  });
});
