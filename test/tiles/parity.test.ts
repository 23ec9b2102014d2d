/**
 * One tiling everywhere: the runtime's capture (GStreamer) and calibration cut a camera image into the same tiles, to
 * the byte; the Python twin (models/uniad/tiles.py, what training data is cut with) agrees with src/tiles/ on the
 * grid, the tiles, the stitch and the score.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { frameOf } from '../../src/calibrate/calibrate.js';
import { silentLogger } from '../../src/log.js';
import { captureCamera } from '../../src/sources/capture.js';
import { modelInputs } from '../../src/tiles/frame.js';
import { scaledSize, tileGrid } from '../../src/tiles/grid.js';
import { regionLayout } from '../../src/tiles/layout.js';
import { pooledMax } from '../../src/tiles/score.js';
import { stitchMax } from '../../src/tiles/stitch.js';
import { repoRoot } from '../setup/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'uniad-tiles-parity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs Python with models/ importable; `code` prints JSON. */
function python(code: string): unknown {
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', code], { cwd: repoRoot, encoding: 'utf8' }));
}

/** A 400 x 300 camera image with structure at every scale (gradients, stripes, noise), as a PNG. */
function cameraImage(path: string): { width: number; height: number } {
  const png = new PNG({ width: 400, height: 300 });
  let seed = 7;
  const noise = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
  for (let y = 0; y < 300; y++) {
    for (let x = 0; x < 400; x++) {
      const o = (y * 400 + x) * 4;
      png.data[o] = (x * 255) / 399;
      png.data[o + 1] = ((x >> 2) + (y >> 2)) % 2 === 0 ? 40 + noise() / 4 : 200;
      png.data[o + 2] = noise();
      png.data[o + 3] = 255;
    }
  }
  writeFileSync(path, PNG.sync.write(png, { colorType: 2 }));
  return { width: 400, height: 300 };
}

describe('tiling parity', () => {
  it('should lay out the same tiles in TypeScript and Python', () => {
    const cases = [[224, 224, 32], [225, 224, 32], [992, 224, 32], [2448, 224, 32], [2048, 224, 0], [1000, 64, 16], [300, 224, 100]] as const;
    const sizes = [[2448, 2048, 1], [2448, 2048, 0.5], [300, 200, 0.5], [5, 3, 0.5], [1001, 999, 0.37]] as const;
    const py = python(`
import json
from models.uniad.tiles import scaled_size, tile_grid
print(json.dumps([[list(t) for t in tile_grid(l, l // 2 + 112, t, t, o)] for l, t, o in ${JSON.stringify(cases)}] + [list(scaled_size(w, h, s)) for w, h, s in ${JSON.stringify(sizes)}]))`);
    const ts = [...cases.map(([l, t, o]) => tileGrid(l, Math.floor(l / 2) + 112, t, t, o).map((r) => [r.x, r.y, r.width, r.height])), ...sizes.map(([w, h, s]) => Object.values(scaledSize({ width: w, height: h }, s)))];
    expect(ts).toEqual(py);
  });

  it('should stitch and score maps alike in TypeScript and Python (the model\'s pooled maximum)', () => {
    const tiles = tileGrid(150, 100, 64, 64, 8);
    const maps = tiles.map((_, i) => Float32Array.from({ length: 64 * 64 }, (__, j) => Math.abs(Math.sin(i * 7.1 + j * 0.013)) * (1 + ((j * 31) % 17))));
    const file = join(dir, 'maps.f32');
    writeFileSync(file, Buffer.concat(maps.map((m) => Buffer.from(m.buffer))));
    const stitched = stitchMax(150, 100, tiles, maps);
    const ts = [pooledMax(stitched, 150, 100, 16).score, pooledMax(stitched, 150, 100, 1).score];
    const py = python(`
import json, numpy as np
from models.uniad.tiles import pooled_max, stitch_max, tile_grid
tiles = tile_grid(150, 100, 64, 64, 8)
maps = np.fromfile(${JSON.stringify(file)}, np.float32).reshape(len(tiles), 64, 64)
s = stitch_max(150, 100, tiles, list(maps))
print(json.dumps([pooled_max(s, 16), pooled_max(s, 1)]))`) as number[];
    expect(ts[0]).toBeCloseTo(py[0]!, 4);
    expect(ts[1]).toBe(py[1]);
  });

  it("should cut a camera image into the runtime's tiles byte for byte: GStreamer capture, calibration and training data", async () => {
    const path = join(dir, 'camera.png');
    const size = cameraImage(path);
    const input = { width: 64, height: 64 };
    const regions = [
      regionLayout('cam', { name: 'half', x: 10, y: 20, width: 300, height: 200, tiles: { scale: 0.5, overlap: 8 } }, input),
      regionLayout('cam', { name: 'native', x: 201, y: 97, width: 150, height: 101, tiles: { scale: 1, overlap: 16 } }, input),
      regionLayout('cam', { name: 'whole', x: 0, y: 0, width: 400, height: 300 }, input),
    ];
    const camera = { id: 'cam', line: 'l', product: 'p', spec: { kind: 'file', path } as const, loop: false, watchdogSeconds: 30, regionLayouts: regions, size };
    const [runtime] = await lastValueFrom(captureCamera(camera, { ...input, logger: silentLogger }).pipe(toArray()));
    const calibration = frameOf({ path, product: 'p', camera: 'cam', layouts: regions }, 0, input, size);
    const runtimeTiles = modelInputs(runtime!);
    const calibrationTiles = modelInputs(calibration);
    expect(runtimeTiles.map((t) => `${t.width}x${t.height}`)).toEqual(calibrationTiles.map((t) => `${t.width}x${t.height}`));
    expect(runtimeTiles).toHaveLength(6 + 6 + 1);
    runtimeTiles.forEach((t, i) => expect(Buffer.from(t.pixels).equals(Buffer.from(calibrationTiles[i]!.pixels)), `tile ${i}`).toBe(true));

    // models/uniad/tiles.py cuts training data: the same bytes for the tiled regions
    const out = join(dir, 'py-tiles.bin');
    python(`
import json
from PIL import Image
from models.uniad.tiles import TileSpec, region_tiles
im = Image.open(${JSON.stringify(path)})
tiles = region_tiles(im, TileSpec(0.5, 8, (10, 20, 300, 200)), (64, 64)) + region_tiles(im, TileSpec(1.0, 16, (201, 97, 150, 101)), (64, 64))
open(${JSON.stringify(out)}, 'wb').write(b''.join(t.tobytes() for t in tiles))
print(json.dumps(len(tiles)))`);
    expect(readFileSync(out).equals(Buffer.concat(runtimeTiles.slice(0, 12).map((t) => Buffer.from(t.pixels))))).toBe(true);
  });
});
