/** The probation guards (src/registry/probation.ts) on decisions made by hand: each guard trips alone, and a clean window passes. */
import { describe, expect, it } from 'vitest';
import { Probation, tripped, type ProbationGuards } from '../../src/registry/probation.js';
import type { Decision, Reason } from '../../src/types.js';

const guards: ProbationGuards = { seconds: 60, maxNonFinite: 0, maxInferenceErrors: 1, maxRejectRate: 0.5, minFrames: 10 };

const decision = (reason: Reason, model = 'tiny@2.0.0'): Decision =>
  ({ verdict: { id: 'c:r:1', camera: 'c', line: 'l', product: 'bolt', seq: 1, capturedAt: 0, decidedAt: 0, score: null, threshold: 0.5, normalizedScore: null, reject: reason !== 'ok', reason, model } }) as unknown as Decision;

describe('probation', () => {
  it('should trip on the first non-finite output', () => {
    const p = new Probation('tiny@2.0.0', guards, 0);
    expect(p.observe(decision('ok'), 1, 0).state).toBe('running');
    const s = p.observe(decision('error'), 2, 1);
    expect(s).toMatchObject({ state: 'tripped', cause: 'non-finite output on 1 of 2 frames (registry.probation.maxNonFinite 0)' });
  });

  it('should count errors that were not non-finite as inference errors, past their bound', () => {
    const p = new Probation('tiny@2.0.0', guards, 0);
    expect(p.observe(decision('error'), 1, 0).state).toBe('running');
    expect(p.observe(decision('error'), 2, 0)).toMatchObject({ state: 'tripped', cause: expect.stringMatching(/^inference failed on 2 of 2 frames/) });
  });

  it('should judge the reject rate only once minFrames were decided', () => {
    const p = new Probation('tiny@2.0.0', guards, 0);
    for (let i = 0; i < 9; i++) expect(p.observe(decision('anomaly'), i, 0).state).toBe('running');
    expect(p.observe(decision('anomaly'), 9, 0)).toMatchObject({ state: 'tripped', cause: 'reject rate 100.0 % over 10 frames (registry.probation.maxRejectRate 50.0 %)' });
    expect(tripped({ frames: 10, rejects: 5, nonFinite: 0, inferenceErrors: 0 }, guards)).toBeUndefined();
  });

  it("should not count another model's decisions, and pass a window without a trip", () => {
    const p = new Probation('tiny@2.0.0', guards, 0);
    for (let i = 0; i < 20; i++) p.observe(decision('anomaly', 'tiny@1.0.0'), i, 0);
    p.observe(decision('ok'), 30, 0);
    expect(p.tick(59_999).state).toBe('running');
    expect(p.tick(60_000)).toEqual({ state: 'passed', counts: { frames: 1, rejects: 0, nonFinite: 0, inferenceErrors: 0 } });
    expect(p.observe(decision('error'), 60_001, 5).state).toBe('passed');
  });
});
