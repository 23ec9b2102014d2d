/**
 * The shadow model runs beside the live one only when the live pipeline is idle: under overload it costs no live
 * verdict its deadline. A burst far larger than the queue makes the live pipeline shed a number of frames that does
 * not depend on timing (all arrive before the first run returns), so the count of `deadline` verdicts must be the
 * same with the shadow on and off. Real workers: the slow tiny model live, a copy of the tiny model with other
 * thresholds (bolt 0.3 instead of 0.5) as the candidate; both compute the same score.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { InferenceEngine } from '../../src/pipeline/engine.js';
import { inspect } from '../../src/pipeline/inspect.js';
import { ShadowRunner, type ShadowEngine } from '../../src/pipeline/shadow.js';
import { sidecarPathFor } from '../../src/pipeline/sidecar.js';
import { resolveThreshold } from '../../src/pipeline/threshold-sources.js';
import type { Decision, Frame, Verdict } from '../../src/types.js';
import { tinyModels } from '../setup/tiny-model.js';
import { makeFrame } from './frames.js';

const dir = mkdtempSync(join(tmpdir(), 'uniad-shadow-'));
const candidatePath = join(dir, 'candidate.onnx');
copyFileSync(tinyModels.ok, candidatePath);
const sidecar = JSON.parse(readFileSync(sidecarPathFor(tinyModels.ok), 'utf8'));
writeFileSync(sidecarPathFor(candidatePath), JSON.stringify({ ...sidecar, version: '2.0.0', thresholds: { ...sidecar.thresholds, bolt: 0.3 } }));

const open = (modelPath: string) => InferenceEngine.open({ modelPath, providers: ['cpu'], threads: 1 });
const sources = { live: new Map(), cameras: new Map() };
const burst = 60;
const queued = 8;

async function overloadedRun(withShadow: boolean) {
  const live = await open(tinyModels.slow);
  const candidate = withShadow ? await open(candidatePath) : undefined;
  let liveIdle = false;
  let shadowRunsWhileBusy = 0;
  // The candidate as the shadow sees it, noting whether the live pipeline was idle when each run started.
  const watched: ShadowEngine | undefined = candidate && {
    modelId: candidate.modelId,
    sidecar: candidate.sidecar,
    run: (frames) => {
      if (!liveIdle) shadowRunsWhileBusy++;
      return candidate.run(frames);
    },
  };
  const shadowVerdicts: [Verdict, Verdict][] = [];
  const shadow = watched && new ShadowRunner(watched, { live: () => ({ id: live.modelId, sidecar: live.sidecar }), runId: 'r', thresholdOf: (f, m) => resolveThreshold(f.camera, f.product, m, sources), onVerdict: (s, l) => void shadowVerdicts.push([s, l]), logger: silentLogger, maxWaiting: 64 });
  const frames$ = new Subject<Frame>();
  const decisions: Decision[] = [];
  frames$
    .pipe(
      inspect(live, {
        batchMaxSize: 4,
        batchMaxWaitMs: 0,
        deadlineMs: 600_000,
        failSafe: 'reject',
        runId: 'r',
        maxQueuedPerCamera: queued,
        thresholdFor: (f, m) => resolveThreshold(f.camera, f.product, m, sources).threshold,
        onIdle: (idle) => {
          liveIdle = idle;
          shadow?.setLiveIdle(idle);
        },
      }),
    )
    .subscribe((d) => {
      decisions.push(d);
      shadow?.offer(d);
    });
  for (let round = 0; round < 2; round++) {
    // Synchronously: every frame of the burst is in before the first run can return.
    for (let i = 0; i < burst; i++) frames$.next(makeFrame({ seq: round * burst + i, fill: 128 + ((round * burst + i) % 100), capturedAt: Date.now() }));
    await expect.poll(() => decisions.length, { timeout: 30_000 }).toBe((round + 1) * burst);
    const scored = decisions.filter((d) => d.verdict.score !== null).length;
    if (shadow) await expect.poll(() => shadow.summary().frames + shadow.summary().skipped, { timeout: 30_000 }).toBe(scored);
  }
  frames$.complete();
  await live.close();
  await candidate?.close();
  return { decisions, deadline: decisions.filter((d) => d.verdict.reason === 'deadline').length, shadowRunsWhileBusy, summary: shadow?.summary(), shadowVerdicts };
}

describe('shadow model', () => {
  it('should give the same number of deadline verdicts under overload with the shadow model on and off', async () => {
    const off = await overloadedRun(false);
    const on = await overloadedRun(true);
    expect(off.deadline).toBeGreaterThan(0);
    expect(on.deadline).toBe(off.deadline);
    expect(on.shadowRunsWhileBusy).toBe(0);
    expect(on.summary!.frames).toBeGreaterThan(0);
    expect(on.summary!.skipped).toBe(0);
  });

  it('should report agreement, score correlation and the rejects the candidate would add or drop', async () => {
    const { summary, shadowVerdicts } = await overloadedRun(true);
    expect(shadowVerdicts.every(([s, l]) => s.model === 'tiny@2.0.0' && s.threshold === 0.3 && l.model === 'tiny-slow@1.0.0' && l.threshold === 0.5 && s.id === l.id)).toBe(true);
    const added = shadowVerdicts.filter(([s, l]) => s.reject && !l.reject).length;
    expect(added).toBeGreaterThan(0); // scores between 0.3 and 0.5
    expect(summary).toMatchObject({ live: 'tiny-slow@1.0.0', candidate: 'tiny@2.0.0', frames: shadowVerdicts.length, rejectsAdded: added, rejectsDropped: 0 });
    expect(summary!.agreement).toBeCloseTo(1 - added / shadowVerdicts.length, 12);
    expect(summary!.scoreCorrelation).toBeCloseTo(1, 5); // the same formula in both graphs
  });
});
