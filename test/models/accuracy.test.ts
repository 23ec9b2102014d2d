/**
 * Accuracy must not slip: the shipped demo model, scored through the runtime (InferenceEngine, onnxruntime-node) on
 * small, seeded builds of the benchmark and of the unseen-defect set, must reach the image and pixel AUROC its sidecar
 * records for exactly these builds (`evaluation.ci`) less 1 point. The full builds' numbers (`evaluation.benchmark`,
 * `evaluation.unseenDefects`) take minutes to reproduce, so CI checks these smaller ones; models/demo/README.md says
 * how both were made. The builds are cached in test/.fixtures/accuracy/, keyed by the generators' source.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreFolder, type FolderScore } from '../../src/evaluation/score-folder.js';
import { InferenceEngine } from '../../src/pipeline/engine.js';
import { fixturesDir, repoRoot } from '../setup/paths.js';

const model = join(repoRoot, 'models/demo/uniad-demo.onnx');
const sidecar = JSON.parse(readFileSync(model.replace(/\.onnx$/, '.json'), 'utf8')) as {
  evaluation?: { ci?: Record<string, FolderScore>; benchmark?: FolderScore; unseenDefects?: FolderScore };
};

/**
 * Absolute floors, whatever the sidecar records: the shipped model 0.2.0's scores on the CI builds, as
 * docs/accuracy.md §1 lists them (benchmark 76.86 / 89.59, unseen defects 63.69 / 71.11), less the 1 point this test
 * allows between machines. Compared with the sidecar alone, a regression written back into the sidecar would pass.
 * A better model shipped raises these with docs/accuracy.md; a worse one must be argued there first.
 */
const floors = {
  benchmark: { imageAuroc: 75.86, pixelAuroc: 88.59 },
  unseenDefects: { imageAuroc: 62.69, pixelAuroc: 70.11 },
} as const;

/** The CI builds: 10 good + 10 defective a class of the benchmark's test split, 10 good + 12 unseen defects a class. */
const ciBuilds = {
  benchmark: ['-m', 'models.benchmark.build', '--seed', '0', '--train-per-class', '1', '--test-per-class', '20'],
  unseenDefects: ['-m', 'models.benchmark.unseen_defects', '--seed', '0', '--good-per-class', '10', '--defective-per-class', '12'],
} as const;

function build(name: keyof typeof ciBuilds): string {
  const generators = join(repoRoot, 'models/benchmark');
  const hash = createHash('sha256').update(JSON.stringify(ciBuilds[name]));
  for (const f of readdirSync(generators).filter((f) => f.endsWith('.py')).sort()) hash.update(readFileSync(join(generators, f)));
  const out = join(fixturesDir, 'accuracy', name);
  const stamp = join(fixturesDir, 'accuracy', `${name}.stamp`);
  const key = hash.digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === key && existsSync(join(out, 'benchmark.json'))) return out;
  rmSync(out, { recursive: true, force: true });
  execFileSync('/usr/bin/python3', [...ciBuilds[name], '--out', out], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  writeFileSync(stamp, key);
  return out;
}

describe('accuracy of the shipped demo model', () => {
  let engine: InferenceEngine;
  const scored: Partial<Record<keyof typeof ciBuilds, FolderScore>> = {};

  beforeAll(async () => {
    engine = await InferenceEngine.open({ modelPath: model, providers: ['cpu'], threads: 2 });
    for (const name of Object.keys(ciBuilds) as (keyof typeof ciBuilds)[]) scored[name] = await scoreFolder(engine, build(name));
    // ~1 min on an idle 2-core machine with the builds cached, ~2.5 min without; minutes more on a loaded one.
  }, 600_000);
  afterAll(() => engine?.close());

  it('should record its full evaluation and the CI builds in the sidecar', () => {
    const ev = sidecar.evaluation;
    for (const set of [ev?.benchmark, ev?.unseenDefects, ev?.ci?.benchmark, ev?.ci?.unseenDefects]) {
      expect(set?.imageAuroc).toEqual(expect.any(Number));
      expect(set?.pixelAuroc).toEqual(expect.any(Number));
    }
  });

  for (const name of Object.keys(ciBuilds) as (keyof typeof ciBuilds)[]) {
    it(`should score the ${name} CI build no more than 1 point below what the sidecar records`, () => {
      const recorded = sidecar.evaluation!.ci![name]!;
      const now = scored[name]!;
      // The same build (generator, seed, size, images), or the comparison means nothing.
      expect({ build: now.build, images: now.images }).toEqual({ build: recorded.build, images: recorded.images });
      console.log(`${name} CI build: image ${now.imageAuroc} (recorded ${recorded.imageAuroc}), pixel ${now.pixelAuroc} (recorded ${recorded.pixelAuroc})`);
      expect(now.imageAuroc).toBeGreaterThanOrEqual(recorded.imageAuroc - 1);
      expect(now.pixelAuroc).toBeGreaterThanOrEqual(recorded.pixelAuroc - 1);
      expect(now.imageAuroc).toBeGreaterThanOrEqual(floors[name].imageAuroc);
      expect(now.pixelAuroc).toBeGreaterThanOrEqual(floors[name].pixelAuroc);
    });
  }
});
