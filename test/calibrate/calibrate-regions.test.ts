/**
 * `uniad-edge calibrate --config` for a camera with regions, on the tiny contract model (score: the map's maximum,
 * map = |x/255 - 0.5| * 2 per pixel): each whole camera image is cut into the camera's regions and tiles as the
 * service cuts them, and every region gets its own threshold.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { falseRejectThreshold } from '../../src/calibrate/quantile.js';
import { loadThresholdsFile } from '../../src/pipeline/thresholds-file.js';
import { repoRoot } from '../setup/paths.js';
import { tinyModels } from '../setup/tiny-model.js';

const dir = mkdtempSync(join(tmpdir(), 'uniad-calibrate-regions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A grey camera image (160 x 100) of `level`, with a brighter pixel at (x, y) when given. */
function image(path: string, level: number, spot?: { x: number; y: number; level: number }, width = 160): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const png = new PNG({ width, height: 100 });
  for (let i = 0; i < width * 100; i++) png.data.set([level, level, level, 255], i * 4);
  if (spot) png.data.set([spot.level, spot.level, spot.level, 255], (spot.y * width + spot.x) * 4);
  writeFileSync(path, PNG.sync.write(png));
}
const score = (level: number) => Math.abs(level / 255 - 0.5) * 2;

async function calibrate(...args: string[]) {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [join(repoRoot, 'bin/uniad-edge.js'), 'calibrate', ...args], { cwd: dir, timeout: 120_000 });
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('uniad-edge calibrate --config, a camera with regions', () => {
  const config = join(dir, 'config.yaml');
  writeFileSync(config, stringify({
    site: 's',
    node: 'n',
    cameras: [{
      id: 'belt', line: 'l1', product: 'bolt', source: 'test:', size: { width: 160, height: 100 },
      regions: [{ name: 'tiles', x: 0, y: 0, width: 160, height: 100, tiles: { scale: 1, overlap: 16 } }, { name: 'corner', x: 100, y: 40, width: 60, height: 60, product: 'nut' }],
    }],
    model: { path: tinyModels.ok },
  }));

  it('should cut every image as the service does and write a threshold per region', async () => {
    const tiled: number[] = [];
    for (let i = 0; i < 20; i++) {
      // a spot in the left half: in the tiled region, not in the corner one
      image(join(dir, 'images/bolt/belt', `${String(i).padStart(2, '0')}.png`), 128, { x: 20 + i, y: 30, level: 150 + 2 * i });
      tiled.push(score(150 + 2 * i));
    }
    for (let i = 0; i < 10; i++) image(join(dir, 'images/bolt', `plain-${i}.png`), 130 + i, undefined, 100);
    const out = join(dir, 'out/thresholds.json');
    const r = await calibrate('--model', tinyModels.ok, '--images', join(dir, 'images'), '--target-false-reject', '0.1', '--out', out, '--providers', 'cpu', '--config', config);
    expect(r.code, r.stderr).toBe(0);
    const file = loadThresholdsFile(out);
    // the tiled region scores each image by its stitched map: the spot, whatever tile holds it
    expect(file.regions?.['belt']?.['tiles']?.['bolt']).toBeCloseTo(falseRejectThreshold(tiled, 0.1), 6);
    // the corner region (its own product) is flat grey 128, letterboxed square into the input: no border, no spot
    expect(file.regions?.['belt']?.['corner']?.['nut']).toBeCloseTo(falseRejectThreshold(Array(20).fill(score(128)), 0.1), 6);
    // the camera's images are not the product's: its threshold comes from the other images alone (square, 100 x 100)
    expect(file.products['bolt']).toBeCloseTo(falseRejectThreshold([...Array(10).keys()].map((i) => score(130 + i)), 0.1), 6);
    expect(file.cameras['belt']).toBeUndefined();
    expect(r.stdout).toMatch(/^bolt\/belt\/tiles: threshold /m);
    expect(r.stdout).toMatch(/^nut\/belt\/corner: threshold /m);
    const report = readFileSync(join(dir, 'out/thresholds.md'), 'utf8');
    expect(report).toMatch(/\| bolt \| belt, region tiles \| 20 \|/);
    expect(report).toMatch(/\| nut \| belt, region corner \| 20 \|/);
    expect(report).toContain('![bolt score distributions](thresholds-bolt-belt-tiles.png)');
  });

  it('should refuse an image of a camera with regions that is not the camera size', async () => {
    image(join(dir, 'wrong/bolt/belt/0.png'), 128, undefined, 150);
    const r = await calibrate('--model', tinyModels.ok, '--images', join(dir, 'wrong'), '--target-false-reject', '0.1', '--out', join(dir, 'wrong.json'), '--providers', 'cpu', '--config', config);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/calibrate: ".*0\.png" is 150x100, but camera belt delivers 160x100 \(cameras\[\]\.size\): its regions are cut from whole camera images/);
  });
});
