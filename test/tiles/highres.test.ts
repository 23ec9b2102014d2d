/**
 * A small defect on a big camera, end to end through real components: a 2448 x 2048 H.264 video of concrete on a
 * conveyor (test/fixtures/make_highres.py) captured by GStreamer with two regions — the whole image letterboxed into
 * the model's 224 x 224 input (what every camera got before regions), and a 992 x 608 belt cut into 224 px tiles at
 * the camera's own resolution — scored by the shipped demo model and decided by inspect, then archived as evidence.
 * Each scratched frame (3 px wide, inside a tile, on a tile border, on the corner of four tiles) is followed by the
 * same surface without the scratch, so what the scratch changes is measured, not guessed.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvidenceArchive, findEvidence } from '../../src/evidence/archive.js';
import { silentLogger } from '../../src/log.js';
import { InferenceEngine } from '../../src/pipeline/engine.js';
import { inspect } from '../../src/pipeline/inspect.js';
import { captureCamera } from '../../src/sources/capture.js';
import { modelInputs } from '../../src/tiles/frame.js';
import { regionLayout } from '../../src/tiles/layout.js';
import { pooledMax } from '../../src/tiles/score.js';
import type { Decision, Frame } from '../../src/types.js';
import { repoRoot } from '../setup/paths.js';
import { buildHighres, highres, type HighresFrames } from '../setup/highres.js';

const belt = { x: 600, y: 700, width: 992, height: 608 };
const input = { width: 224, height: 224 };
const layouts = [
  regionLayout('line', { name: 'belt', ...belt, tiles: { scale: 1, overlap: 32 } }, input),
  regionLayout('line', { name: 'whole', x: 0, y: 0, width: 2448, height: 2048 }, input),
];
/** The demo model's calibrated threshold for concrete (its sidecar). */
let concrete: number;

/** Connected groups (4-neighbours) of the cells of a w x h grid where `on` holds. */
function blobs(w: number, h: number, on: (i: number) => boolean): number[][] {
  const seen = new Uint8Array(w * h);
  const out: number[][] = [];
  for (let start = 0; start < w * h; start++) {
    if (seen[start] || !on(start)) continue;
    const blob = [start];
    seen[start] = 1;
    for (let k = 0; k < blob.length; k++) {
      const i = blob[k]!;
      for (const j of [i - 1, i + 1, i - w, i + w]) {
        if (j < 0 || j >= w * h || seen[j] || !on(j) || (Math.abs(j - i) === 1 && Math.floor(j / w) !== Math.floor(i / w))) continue;
        seen[j] = 1;
        blob.push(j);
      }
    }
    out.push(blob);
  }
  return out;
}

/** Every window's mean (k x k, stride 1), (w-k+1) x (h-k+1): the model's pooled map, its maximum the score. */
function pooledMap(map: Float32Array, w: number, h: number, k: number): { values: Float32Array; width: number; height: number } {
  const width = w - k + 1;
  const height = h - k + 1;
  const values = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let j = 0; j < k; j++) for (let i = 0; i < k; i++) sum += map[(y + j) * w + x + i]!;
      values[y * width + x] = sum / (k * k);
    }
  }
  return { values, width, height };
}

describe('a 3 px scratch on a 5 MP camera, tiled and untiled', () => {
  let engine: InferenceEngine;
  let truth: HighresFrames;
  let frames: Frame[];
  let decisions: Map<number, Decision>;
  const dir = mkdtempSync(join(tmpdir(), 'uniad-highres-'));

  beforeAll(async () => {
    await buildHighres();
    truth = highres.frames();
    engine = await InferenceEngine.open({ modelPath: join(repoRoot, 'models/demo/uniad-demo.onnx'), providers: ['cpu'], threads: 2 });
    concrete = engine.sidecar.thresholds['concrete']!;
    const camera = { id: 'line', line: 'l1', product: 'concrete', spec: { kind: 'file', path: highres.video } as const, loop: false, watchdogSeconds: 120, regionLayouts: layouts, size: { width: 2448, height: 2048 } };
    frames = await lastValueFrom(captureCamera(camera, { ...input, logger: silentLogger }).pipe(toArray()));
    const decided = await lastValueFrom(
      from(frames).pipe(
        inspect(engine, {
          batchMaxSize: 8,
          batchMaxWaitMs: 0,
          deadlineMs: 3_600_000,
          maxQueuedPerCamera: 100,
          overloadFor: () => 'wait',
          failSafe: 'reject',
          // the letterboxed whole image is here to be compared, not to decide
          thresholdFor: (_f, _m, region) => (region?.name === 'whole' ? 1e9 : concrete),
          runId: 'highres',
        }),
        toArray(),
      ),
    );
    decisions = new Map(decided.map((d) => [d.frame.seq, d]));
  }, 600_000);
  afterAll(async () => {
    await engine?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const score = (seq: number, region: 'belt' | 'whole') => decisions.get(seq)!.verdict.regions!.find((r) => r.name === region)!.score!;
  const scratched = () => truth.frames.flatMap((f, seq) => (f.scratch ? [{ seq, twin: seq + 1, at: { x: f.scratch.x - belt.x, y: f.scratch.y - belt.y }, where: f.scratch.where }] : []));

  it('should capture every frame as two regions, the belt at the camera\'s own pixels, and decide each frame once', () => {
    expect(frames).toHaveLength(truth.frames.length);
    expect(frames[0]!.regions!.map((r) => [r.layout.name, r.layout.width, r.layout.height, r.layout.tiles?.length ?? 1])).toEqual([['belt', 992, 608, 15], ['whole', 224, 224, 1]]);
    expect([...decisions.keys()].sort()).toEqual(frames.map((f) => f.seq));
    for (const d of decisions.values()) expect(d.verdict.regions!.map((r) => r.name)).toEqual(['belt', 'whole']);
  });

  it('should miss the scratch letterboxed and find it in tiles: the verdicts', () => {
    const lines = scratched().map(({ seq, twin, where }) => `${where}: tiled ${score(twin, 'belt').toFixed(2)} → ${score(seq, 'belt').toFixed(2)}, letterboxed ${score(twin, 'whole').toFixed(2)} → ${score(seq, 'whole').toFixed(2)}`);
    console.log(`demo model, concrete threshold ${concrete.toFixed(2)}; without → with the scratch:\n${lines.join('\n')}`);
    for (const { seq, twin } of scratched()) {
      // tiled: the scratch rejects the frame, the same surface without it passes
      expect(decisions.get(seq)!.verdict).toMatchObject({ reject: true, reason: 'anomaly', threshold: concrete });
      expect(decisions.get(twin)!.verdict).toMatchObject({ reject: false, reason: 'ok' });
      expect(score(seq, 'belt') - score(twin, 'belt')).toBeGreaterThan(5);
      // letterboxed: 3 px become a quarter of a pixel; the score does not see them (whatever its level)
      expect(Math.abs(score(seq, 'whole') - score(twin, 'whole'))).toBeLessThan(1);
    }
    for (const [seq, f] of truth.frames.entries()) if (f.scratch === null) expect(score(seq, 'belt')).toBeLessThan(concrete);
  });

  it("should put the stitched map's maximum on the scratch", () => {
    for (const { seq, at } of scratched()) {
      const inf = decisions.get(seq)!.inference!;
      const map = inf.regions![0]!;
      expect([map.mapWidth, map.mapHeight]).toEqual([992, 608]);
      const best = pooledMax(map.anomalyMap, 992, 608, 16);
      expect(best.score).toBeCloseTo(score(seq, 'belt'), 3);
      // the window that scores lies on the 80 px scratch: within half its length (and half a window) of its centre
      expect(Math.hypot(best.x + 8 - at.x, best.y + 8 - at.y)).toBeLessThan(48);
    }
  });

  it('should neither lose a scratch on a tile border nor count it twice', async () => {
    for (const { seq, at, where } of scratched().filter((s) => s.where !== 'inside a tile')) {
      const frame = frames[seq]!;
      const tiles = frame.regions![0]!.layout.tiles!;
      // the tiles that hold the scratch's centre: two on a border, four on a corner
      const holding = tiles.flatMap((t, i) => (at.x >= t.x && at.x < t.x + t.width && at.y >= t.y && at.y < t.y + t.height ? [i] : []));
      expect(holding.length, where).toBe(where.includes('corner') ? 4 : 2);
      // not lost: the region scores at least what the best tile scores alone (the model's own score of that tile)
      const alone = await engine.run(modelInputs({ ...frame, regions: [frame.regions![0]!] }));
      expect(score(seq, 'belt')).toBeGreaterThanOrEqual(Math.max(...alone.map((r) => r.score)) - 1e-3);
      // not twice: the windows at or above the threshold are one spot, on the scratch
      const map = decisions.get(seq)!.inference!.regions![0]!;
      const pooled = pooledMap(map.anomalyMap, 992, 608, 16);
      const hot = blobs(pooled.width, pooled.height, (i) => pooled.values[i]! >= concrete);
      expect(hot, where).toHaveLength(1);
      for (const i of hot[0]!) expect(Math.hypot((i % pooled.width) + 8 - at.x, Math.floor(i / pooled.width) + 8 - at.y)).toBeLessThan(60);
    }
  });

  it('should archive the belt at the camera\'s resolution with its stitched heatmap on the scratch', async () => {
    const archive = new EvidenceArchive({ dir, maxBytes: 1e9, maxAgeMs: 1e12, goodSampleEvery: 0, logger: silentLogger });
    for (const d of decisions.values()) archive.record(d);
    await archive.close();
    for (const { seq, at } of scratched()) {
      const d = decisions.get(seq)!;
      const folder = findEvidence(dir, d.verdict.id)!;
      expect(readdirSync(folder).sort()).toEqual(['heatmap-belt.png', 'heatmap-whole.png', 'region-belt.png', 'region-whole.png', 'verdict.json']);
      const region = PNG.sync.read(readFileSync(join(folder, 'region-belt.png')));
      expect([region.width, region.height]).toEqual([992, 608]);
      // the pixels the model saw, untouched
      const rgb = new Uint8Array(992 * 608 * 3);
      for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) rgb.set(region.data.subarray(j, j + 3), i);
      expect(Buffer.from(rgb).equals(Buffer.from(frames[seq]!.regions![0]!.pixels))).toBe(true);
      // the heatmap: same size, its hottest 16 x 16 area (Turbo: red over blue) on the scratch
      const heat = PNG.sync.read(readFileSync(join(folder, 'heatmap-belt.png')));
      expect([heat.width, heat.height]).toEqual([992, 608]);
      const redness = Float32Array.from({ length: 992 * 608 }, (_, i) => heat.data[i * 4]! - heat.data[i * 4 + 2]!);
      const hottest = pooledMax(redness, 992, 608, 16);
      expect(Math.hypot(hottest.x + 8 - at.x, hottest.y + 8 - at.y)).toBeLessThan(48);
      expect(JSON.parse(readFileSync(join(folder, 'verdict.json'), 'utf8'))).toMatchObject({ id: d.verdict.id, reject: true, regions: [{ name: 'belt', reject: true }, { name: 'whole', reject: false }] });
    }
    // the frames that passed left no evidence
    expect(findEvidence(dir, decisions.get(0)!.verdict.id)).toBeUndefined();
  });
});
