/**
 * `uniad-edge evaluate --config --camera` on whole camera images in MVTec AD layout, scored by the tiny contract model
 * (map = |x/255 - 0.5| * 2 per pixel, score = the map's maximum): each image is cut into the camera's regions and
 * tiles as the service cuts them, and each region's map is checked against its own part of the masks.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { repoRoot } from '../setup/paths.js';
import { tinyModels } from '../setup/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'uniad-eval-regions-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const [width, height] = [160, 100];

function writePng(path: string, value: (x: number, y: number) => number): void {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) { const v = value(x, y); png.data.set([v, v, v, 255], (y * width + x) * 4); }
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, PNG.sync.write(png));
}

const square = (x0: number, y0: number) => (x: number, y: number) => x >= x0 && x < x0 + 8 && y >= y0 && y < y0 + 8;
// `spot`: a white square left of the label region; `torn`: one inside it (both inside the tiled belt region)
const defects = { spot: (i: number) => square(20 + 5 * i, 30), torn: (i: number) => square(110 + 4 * i, 50) };
for (let i = 0; i < 4; i++) {
  const part = (x: number, y: number) => 128 + ((x + y + i) % 3);
  writePng(join(root, 'part/test/good', `00${i}.png`), part);
  for (const [kind, at] of Object.entries(defects)) {
    writePng(join(root, 'part/test', kind, `00${i}.png`), (x, y) => (at(i)(x, y) ? 255 : part(x, y)));
    writePng(join(root, 'part/ground_truth', kind, `00${i}_mask.png`), (x, y) => (at(i)(x, y) ? 255 : 0));
  }
}
writeFileSync(join(root, 'benchmark.json'), JSON.stringify({ generator: 'hand-made', seed: 3 }));

const config = join(root, 'config.yaml');
writeFileSync(config, stringify({
  site: 's',
  node: 'n',
  cameras: [
    {
      id: 'top', line: 'l1', product: 'part', source: 'test:', size: { width, height },
      regions: [
        // 150 x 100 at scale 1: 3 x 2 tiles of 64 px; starts at x 10, so a mask read from the wrong place misses its spot
        { name: 'belt', x: 10, y: 0, width: 150, height: 100, tiles: { scale: 1, overlap: 16 } },
        // exactly the model input: letterboxed without scaling
        { name: 'label', x: 96, y: 36, width: 64, height: 64 },
      ],
    },
    { id: 'plain', line: 'l1', product: 'part', source: 'test:' },
  ],
  model: { path: tinyModels.ok },
}));

const cli = (...args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'bin/uniad-edge.js'), 'evaluate', '--model', tinyModels.ok, '--threads', '1', ...args], { encoding: 'utf8', cwd: root, timeout: 120_000 });

describe('uniad-edge evaluate --config --camera, a camera with regions', () => {
  it("should score every image per region, tiled as the service tiles it, against the region's part of the masks", () => {
    const out = join(root, 'evaluation.json');
    const r = cli('--benchmark', root, '--config', config, '--camera', 'top', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8')) as { benchmark?: unknown; regions: Record<string, { benchmark: any }> };
    expect(Object.keys(result.regions)).toEqual(['top/belt', 'top/label']);
    expect(result.benchmark).toBeUndefined();
    // belt: every defect lies in it, on its stitched map exactly where its mask is
    const belt = result.regions['top/belt']!.benchmark;
    expect(belt.perClass.part).toEqual({ image: 100, pixel: 100, images: 12, defective: 8 });
    expect(belt.perKind).toEqual({ spot: { image: 100, pixel: 100 }, torn: { image: 100, pixel: 100 } });
    expect(belt).toMatchObject({ seed: 3, images: 12 });
    // label: the spots lie outside it (their images score as the good ones: ties, 50; no mask pixel in it: no pixel
    // AUROC), the torn squares inside
    const label = result.regions['top/label']!.benchmark;
    expect(label.perKind).toEqual({ spot: { image: 50, pixel: null }, torn: { image: 100, pixel: 100 } });
    expect(label.perClass.part).toEqual({ image: 75, pixel: 100, images: 12, defective: 8 });
    expect(r.stdout).toMatch(/^benchmark, camera top, region belt \(12 images, seed 3\): AUROC %$/m);
    expect(r.stdout).toMatch(/^benchmark, camera top, region label \(12 images, seed 3\): AUROC %$/m);
  });

  it('should say what is missing when --camera is not a camera with regions of the config', () => {
    const alone = cli('--benchmark', root, '--config', config);
    expect(alone.status).toBe(2);
    expect(alone.stderr).toMatch(/--config and --camera go together/);
    const unknown = cli('--benchmark', root, '--config', config, '--camera', 'side');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/--camera side: no such camera in .*config\.yaml/);
    const plain = cli('--benchmark', root, '--config', config, '--camera', 'plain');
    expect(plain.status).toBe(2);
    expect(plain.stderr).toMatch(/--camera plain has no regions in the config/);
  });
});
