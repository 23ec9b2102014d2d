import { describe, expect, it } from 'vitest';
import { decide, failSafeVerdict } from '../../src/pipeline/decide.js';
import type { Inference } from '../../src/types.js';
import { makeFrame } from './frames.js';

const frame = makeFrame({ camera: 'cam7', product: 'nut', seq: 42, capturedAt: 1000 });
const scored = (score: number): Inference => ({ score, anomalyMap: new Float32Array(4), mapWidth: 2, mapHeight: 2 });

describe('decide', () => {
  it('rejects a score above the threshold as an anomaly', () => {
    const v = decide(frame, scored(0.8), 0.7, 'tiny@1.0.0', 'run1', 1500);
    expect(v).toEqual({
      id: 'cam7:run1:42',
      camera: 'cam7',
      line: 'line1',
      product: 'nut',
      seq: 42,
      capturedAt: 1000,
      decidedAt: 1500,
      score: 0.8,
      threshold: 0.7,
      normalizedScore: 0.8 / 0.7,
      reject: true,
      reason: 'anomaly',
      model: 'tiny@1.0.0',
    });
  });

  it('gives the score on the threshold\'s scale: 1.0 at the threshold, null when never scored', () => {
    expect(decide(frame, scored(0.7), 0.7, 'm@1', 'run1', 0).normalizedScore).toBe(1);
    expect(decide(frame, scored(0.35), 0.7, 'm@1', 'run1', 0).normalizedScore).toBe(0.5);
    expect(failSafeVerdict(frame, 'deadline', 'reject', 0.7, 'm@1', 'run1', 0).normalizedScore).toBeNull();
  });

  it('passes a score below the threshold as ok', () => {
    const v = decide(frame, scored(0.69), 0.7, 'm@1', 'run1', 0);
    expect([v.reject, v.reason]).toEqual([false, 'ok']);
  });

  it('rejects a score exactly on the threshold (the calibrated threshold is the first anomalous score)', () => {
    const v = decide(frame, scored(0.7), 0.7, 'm@1', 'run1', 0);
    expect([v.reject, v.reason]).toEqual([true, 'anomaly']);
  });

  it('keeps ids of the same camera and seq apart across service runs', () => {
    expect(decide(frame, scored(0), 1, 'm@1', 'runA', 0).id).not.toBe(decide(frame, scored(0), 1, 'm@1', 'runB', 0).id);
  });
});

describe('failSafeVerdict', () => {
  it('rejects an unscored frame when the fail-safe is reject', () => {
    const v = failSafeVerdict(frame, 'deadline', 'reject', 0.7, 'm@1', 'run1', 3000);
    expect(v).toMatchObject({ id: 'cam7:run1:42', score: null, threshold: 0.7, reject: true, reason: 'deadline', decidedAt: 3000 });
  });

  it('passes an unscored frame when the fail-safe is pass, and says why it was not scored', () => {
    const v = failSafeVerdict(frame, 'error', 'pass', 0.7, 'm@1', 'run1', 3000);
    expect(v).toMatchObject({ score: null, reject: false, reason: 'error' });
  });
});

describe('decide, a frame of a part', () => {
  it('should name the part the frame shows in its verdict, scored or not', () => {
    const ofPart = makeFrame({ camera: 'cam7', seq: 3, part: { partId: '1234', at: 990 } });
    expect(decide(ofPart, scored(0.1), 0.7, 'm@1', 'run1', 0).partId).toBe('1234');
    expect(failSafeVerdict(ofPart, 'deadline', 'reject', 0.7, 'm@1', 'run1', 0).partId).toBe('1234');
    expect('partId' in decide(frame, scored(0.1), 0.7, 'm@1', 'run1', 0)).toBe(false);
  });
});
