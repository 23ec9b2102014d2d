/**
 * `npm run bench -- --quick` end to end: every section of the benchmark runs (real service, capture processes,
 * broker, subscriber, PyTorch, onnxruntime profiler) and yields finite numbers. Speed is not judged here (CI
 * machines are loaded); `npm run bench -- --check` judges it, by hand.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { tsxUrls } from '../../src/entry.js';
import type { BenchResults } from '../../bench/results.js';
import { repoRoot } from '../setup/paths.js';

/** Paths of every number in `value` that is not finite. */
function nonFinite(value: unknown, path = ''): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => nonFinite(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => nonFinite(v, `${path}.${k}`));
  return [];
}

describe('npm run bench -- --quick', () => {
  const dir = mkdtempSync(join(tmpdir(), 'uniad-bench-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('measures every section and every number is finite', async () => {
    const json = join(dir, 'quick.json');
    // Not execFileSync: a blocked event loop makes vitest's worker miss its own heartbeats.
    await promisify(execFile)(process.execPath, ['--import', tsxUrls().loader, 'bench/index.ts', '--quick', '--json', json], { cwd: repoRoot, maxBuffer: 16 << 20 });
    const r = JSON.parse(readFileSync(json, 'utf8')) as BenchResults;
    const demo = r.models.find((m) => m.model.label === 'demo')!;
    expect(demo.raw?.map((p) => p.batch)).toEqual([1, 2]);
    expect(demo.throughput?.length).toBeGreaterThan(0);
    expect(demo.latency?.some((l) => l.cameras === 1 && l.batchMaxWaitMs === 0)).toBe(true);
    for (const run of [...demo.throughput!, ...demo.latency!]) {
      expect(run.framesMeasured).toBeGreaterThan(0);
      expect(run.rss.captureMb.length).toBeGreaterThan(0);
      expect(run.rss.captureMb.length).toBeLessThanOrEqual(run.cameras);
    }
    expect(demo.torch?.torch.fps).toBeGreaterThan(0);
    expect(demo.flops?.profile.gflopPerFrame).toBeGreaterThan(0.1);
    expect(r.peak?.gemm).toBeGreaterThan(0);
    expect(r.tuning?.length).toBeGreaterThan(0);
    expect(r.policy?.length).toBeGreaterThan(0);
    expect(r.brokerHop?.atGap.p50).toBeGreaterThan(0);
    expect(r.brokerHop?.backToBack.p50).toBeGreaterThan(0);
    expect(r.images?.paeth.kb).toBeGreaterThan(10);
    expect(r.tiles?.map((t) => [t.tiles, t.capacity.meanBatch <= 8])).toEqual([[1, true], [4, true]]);
    expect(demo.latency![0]!.latency.deliver.p50).toBeGreaterThan(0);
    // --quick runs the GPU section's code on the CPU (tiny preset), so a GPU box finds it working
    expect(r.gpu?.device).toBe('cpu');
    expect(r.gpu?.rows.map((x) => x.batch)).toEqual([1, 2]);
    expect(nonFinite(r)).toEqual([]);
  }, 600_000);
});
