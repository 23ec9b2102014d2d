/**
 * A model swapped while frames flow brings its own thresholds: every verdict's `threshold` is the one of the model
 * named in its `model`, including the batches that were running on the old model when the swap happened.
 * Real workers and onnxruntime sessions (the tiny contract model, and a copy of it with another version and thresholds).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, interval, map, takeWhile, tap, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { InferenceEngine } from '../../src/pipeline/engine.js';
import { inspect } from '../../src/pipeline/inspect.js';
import { sidecarPathFor } from '../../src/pipeline/sidecar.js';
import { EngineSupervisor } from '../../src/pipeline/supervisor.js';
import { resolveThreshold } from '../../src/pipeline/threshold-sources.js';
import { repoRoot } from '../setup/paths.js';
import { tinyModels } from '../setup/tiny-model.js';
import { makeFrame } from './frames.js';

const dir = mkdtempSync(join(tmpdir(), 'uniad-swap-'));
const v2 = join(dir, 'tiny-v2.onnx');
copyFileSync(tinyModels.ok, v2);
const sidecar = JSON.parse(readFileSync(sidecarPathFor(tinyModels.ok), 'utf8'));
writeFileSync(sidecarPathFor(v2), JSON.stringify({ ...sidecar, version: '2.0.0', thresholds: { ...sidecar.thresholds, bolt: 0.9 } }));

const open = (modelPath: string) => () => InferenceEngine.open({ modelPath, providers: ['cpu'], threads: 1 });

describe('model swap', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should decide every frame with the thresholds of the model that scored it', async () => {
    const supervisor = new EngineSupervisor(await open(tinyModels.ok)(), { open: open(tinyModels.ok), logger: silentLogger });
    const sources = { live: new Map(), cameras: new Map() };
    let swapped: Promise<void> | undefined;
    // Frames keep coming until 40 after the new model is in place: a loaded machine may take long to open it.
    let lastSeq = Infinity;
    let latestSeq = 0;
    const decisions = await firstValueFrom(
      interval(5).pipe(
        takeWhile((seq) => seq <= lastSeq),
        map((seq) => makeFrame({ seq, product: 'bolt', capturedAt: Date.now() })),
        tap((f) => {
          latestSeq = f.seq;
          if (f.seq === 40) {
            swapped = supervisor.replace(open(v2));
            void swapped.then(() => (lastSeq = latestSeq + 40));
          }
        }),
        inspect(supervisor, { batchMaxSize: 4, batchMaxWaitMs: 5, deadlineMs: 60_000, failSafe: 'reject', runId: 's', maxQueuedPerCamera: 200, thresholdFor: (f, m) => resolveThreshold(f.camera, f.product, m, sources).threshold }),
        toArray(),
      ),
    );
    await swapped;
    await supervisor.close();

    expect(decisions.map((d) => d.frame.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: lastSeq + 1 }, (_, i) => i));
    const pairs = new Set(decisions.map((d) => `${d.verdict.model} ${d.verdict.threshold}`));
    expect(pairs).toEqual(new Set(['tiny@1.0.0 0.5', 'tiny@2.0.0 0.9']));
    // Once a frame was decided by the new model, no later frame goes back to the old one.
    const firstNew = decisions.findIndex((d) => d.verdict.model === 'tiny@2.0.0');
    expect(decisions.slice(firstNew).every((d) => d.verdict.model === 'tiny@2.0.0')).toBe(true);
    expect(supervisor.sidecar.version).toBe('2.0.0');
  });

  it('should keep the old model when the new one takes another frame size', async () => {
    // A sound model of another input size (32x32 against the running 64x64): refused for the size, not for a flaw.
    const other = join(dir, 'tiny-32.onnx');
    execFileSync('/usr/bin/python3', [join(repoRoot, 'test/fixtures/make_tiny_model.py'), '--out', other, '--size', '32']);
    const supervisor = new EngineSupervisor(await open(tinyModels.ok)(), { open: open(tinyModels.ok), logger: silentLogger });
    await expect(supervisor.replace(open(other))).rejects.toMatchObject({ code: 'MODEL_INPUT_SIZE', message: expect.stringContaining('takes 32x32, the cameras deliver 64x64') });
    expect(supervisor.modelId).toBe('tiny@1.0.0');
    const [inference] = await supervisor.run([makeFrame()]);
    expect(Number.isFinite(inference!.score)).toBe(true);
    await supervisor.close();
  });
});
