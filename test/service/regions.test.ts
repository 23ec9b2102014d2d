/**
 * Regions in the running service: a camera with a tiled region and a letterboxed one publishes one verdict a frame
 * with each region's result, a heatmap preview of the region that decided (bounded, carrying the verdict id), and
 * keeps the regions as evidence at the resolution they were inspected at. A region the model's tiles cannot cover,
 * or a model that does not say its score rule, stops the start with what to change.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { findEvidence } from '../../src/evidence/archive.js';
import { readPngText } from '../../src/images/png-text.js';
import { silentLogger } from '../../src/log.js';
import { startService } from '../../src/service.js';
import { statePaths } from '../../src/state-dir.js';
import type { Verdict } from '../../src/types.js';
import { tinyModels } from '../setup/tiny-model.js';
import { subscribe } from '../support/subscriber.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'uniad-regions-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const model = { path: tinyModels.ok, providers: ['cpu'], threads: 1, batchMaxSize: 16, batchMaxWaitMs: 5, deadlineMs: 30_000 };
const service = { embeddedBroker: { port: 0, wsPort: 0 }, dashboard: { enabled: false } };

describe('regions in the service', () => {
  it('should publish one verdict a frame with every region, a bounded heatmap of the deciding region, and evidence at full resolution', async () => {
    const stateDir = tempDir();
    const cfg = parseConfig({
      node: 'regions',
      stateDir,
      cameras: [{
        id: 'cam1', line: 'line1', product: 'bolt', source: 'test:ball', fps: 5, size: { width: 640, height: 480 },
        regions: [
          // the ball bounces everywhere: bright on black, it rejects (tiny model) wherever it is
          { name: 'belt', x: 0, y: 0, width: 640, height: 480, tiles: { scale: 1, overlap: 16 } },
          { name: 'label', x: 320, y: 0, width: 320, height: 240, product: 'nut' },
        ],
      }],
      model,
      mqtt: { queue: { store: 'memory' }, heatmaps: { minIntervalMs: 0, maxSide: 200 } },
      archive: { maxSide: 512 },
      ...service,
    });
    const running = await startService(cfg, { logger: silentLogger });
    const sub = await subscribe(running.brokerUrl!, ['uniad/site/#']);
    await sub.waitFor(3, 'heatmap', 60_000);
    await running.stop('test end');
    const verdicts = sub.json<Verdict>('verdict');
    const heatmaps = sub.on('heatmap');
    await sub.close();

    expect(verdicts.length).toBeGreaterThan(2);
    for (const v of verdicts) {
      expect(v.regions!.map((r) => [r.name, r.product])).toEqual([['belt', 'bolt'], ['label', 'nut']]);
      expect(v.reject).toBe(v.regions!.some((r) => r.reject));
    }
    const ids = new Set(verdicts.map((v) => v.id));
    for (const h of heatmaps) {
      const png = PNG.sync.read(h.payload);
      // a preview: the 640 x 480 belt at most 200 px a side (the letterboxed 64 px label is smaller already)
      expect(Math.max(png.width, png.height)).toBeLessThanOrEqual(200);
      expect(ids.has(readPngText(h.payload)['uniad-id']!)).toBe(true);
    }
    const reject = verdicts.find((v) => v.reject && v.regions![0]!.reject)!;
    const folder = findEvidence(statePaths(stateDir).archive, reject.id)!;
    expect(readdirSync(folder).sort()).toEqual(['heatmap-belt.png', 'heatmap-label.png', 'region-belt.png', 'region-label.png', 'verdict.json']);
    const size = (file: string) => {
      const png = PNG.sync.read(readFileSync(join(folder, file)));
      return [png.width, png.height];
    };
    // archive.maxSide 512: the 640 x 480 belt downscaled, its heatmap with it; the label is the model's 64 x 64 input
    expect([size('region-belt.png'), size('heatmap-belt.png'), size('region-label.png')]).toEqual([[512, 384], [512, 384], [64, 64]]);
    expect(JSON.parse(readFileSync(join(folder, 'verdict.json'), 'utf8'))).toMatchObject({ id: reject.id, regions: [{ name: 'belt' }, { name: 'label' }] });
  });

  it('should refuse to start with REGION_TILES for a region smaller than a tile, saying the scale that would do', async () => {
    const cfg = parseConfig({
      node: 'strip',
      stateDir: tempDir(),
      cameras: [{ id: 'cam1', line: 'line1', product: 'bolt', source: 'test:ball', size: { width: 640, height: 480 }, regions: [{ name: 'strip', x: 0, y: 440, width: 640, height: 40, tiles: {} }] }],
      model,
      ...service,
    });
    await expect(startService(cfg, { logger: silentLogger })).rejects.toMatchObject({
      code: 'REGION_TILES',
      message: expect.stringMatching(/camera cam1, region strip: at tiles.scale 1 it is 640x40 px, smaller than one tile \(the model's input, 64x64\); raise tiles.scale to at least 1.6/),
    });
  });

  it('should refuse to start with MODEL_SCORE_POOL when the model does not say its score rule and a region needs it', async () => {
    const dir = tempDir();
    const path = join(dir, 'no-pool.onnx');
    copyFileSync(tinyModels.ok, path);
    const { scorePool: _, ...sidecar } = JSON.parse(readFileSync(tinyModels.ok.replace(/\.onnx$/, '.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'no-pool.json'), JSON.stringify(sidecar));
    const cfg = parseConfig({
      node: 'no-pool',
      stateDir: join(dir, 'state'),
      cameras: [{ id: 'cam1', line: 'line1', product: 'bolt', source: 'test:ball', size: { width: 640, height: 480 }, ignore: [{ x: 0, y: 0, width: 640, height: 20 }] }],
      model: { ...model, path },
      ...service,
    });
    await expect(startService(cfg, { logger: silentLogger })).rejects.toMatchObject({ code: 'MODEL_SCORE_POOL', message: expect.stringMatching(/the regions cam1\/frame need .*"scorePool"/) });
  });
});
