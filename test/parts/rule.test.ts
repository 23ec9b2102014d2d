import { describe, expect, it } from 'vitest';
import { judgePart, type PartRule } from '../../src/parts/rule.js';
import { verdict } from './fixtures.js';

const any: PartRule = { kind: 'any' };
const max: PartRule = { kind: 'max' };
const twoOf: PartRule = { kind: 'k-of-n', k: 2 };

describe('judgePart', () => {
  it('should pass a part whose every frame passed, with its highest score and that frame\'s threshold', () => {
    expect(judgePart([verdict(1, 0.1), verdict(2, 0.3), verdict(3, 0.2)], undefined, any, 'reject')).toEqual({ reject: false, reason: 'ok', score: 0.3, threshold: 0.5 });
  });

  it('should reject a part with any rejected frame under any, and name its highest score', () => {
    expect(judgePart([verdict(1, 0.1), verdict(2, 0.7), verdict(3, 0.9)], undefined, any, 'reject')).toEqual({ reject: true, reason: 'anomaly', score: 0.9, threshold: 0.5 });
  });

  it('should judge max by the threshold of the highest-scoring frame only', () => {
    // a threshold change within the part: frame 2 is over its own threshold, the highest score is not over its
    const frames = [verdict(1, 0.6, { threshold: 0.8 }), verdict(2, 0.45, { threshold: 0.4 })];
    expect(judgePart(frames, undefined, any, 'reject').reject).toBe(true);
    expect(judgePart(frames, undefined, max, 'reject')).toEqual({ reject: false, reason: 'ok', score: 0.6, threshold: 0.8 });
    expect(judgePart([verdict(1, 0.2), verdict(2, 0.5)], undefined, max, 'reject')).toMatchObject({ reject: true, reason: 'anomaly', score: 0.5 });
  });

  it('should reject under k-of-n only when k frames reject, and a part seen fewer than k times when all its frames do', () => {
    expect(judgePart([verdict(1, 0.9), verdict(2, 0.1), verdict(3, 0.2)], undefined, twoOf, 'reject')).toMatchObject({ reject: false, reason: 'ok' });
    expect(judgePart([verdict(1, 0.9), verdict(2, 0.1), verdict(3, 0.6)], undefined, twoOf, 'reject')).toMatchObject({ reject: true, reason: 'anomaly' });
    expect(judgePart([verdict(1, 0.9)], undefined, twoOf, 'reject')).toMatchObject({ reject: true, reason: 'anomaly' });
    expect(judgePart([verdict(1, 0.1)], undefined, twoOf, 'reject')).toMatchObject({ reject: false, reason: 'ok' });
  });

  it('should decide a part with a frame never scored by the fail-safe, with that frame\'s reason', () => {
    expect(judgePart([verdict(1, 0.1), verdict(2, null, { reason: 'deadline' })], undefined, any, 'reject')).toEqual({ reject: true, reason: 'deadline', score: 0.1, threshold: 0.5 });
    expect(judgePart([verdict(1, 0.1), verdict(2, null, { reason: 'deadline', failSafe: false })], undefined, any, 'pass')).toMatchObject({ reject: false, reason: 'deadline' });
    expect(judgePart([verdict(1, null, { reason: 'deadline' }), verdict(2, null, { reason: 'error' })], undefined, any, 'reject')).toMatchObject({ reject: true, reason: 'error', score: null, threshold: null });
  });

  it('should reject for the defect found even when another frame was never scored, under either fail-safe', () => {
    expect(judgePart([verdict(1, 0.9), verdict(2, null, { reason: 'error' })], undefined, any, 'pass')).toMatchObject({ reject: true, reason: 'anomaly' });
    expect(judgePart([verdict(1, 0.9)], 'no-frame', any, 'pass')).toMatchObject({ reject: true, reason: 'anomaly' });
  });

  it('should decide a part without frames, or missing some, by the fail-safe with no-frame', () => {
    expect(judgePart([], 'no-frame', any, 'reject')).toEqual({ reject: true, reason: 'no-frame', score: null, threshold: null });
    expect(judgePart([], undefined, any, 'pass')).toMatchObject({ reject: false, reason: 'no-frame' });
    expect(judgePart([verdict(1, 0.1)], 'no-frame', any, 'reject')).toMatchObject({ reject: true, reason: 'no-frame', score: 0.1 });
  });

  it('should name deadline for verdicts that never came, before frames that never came', () => {
    expect(judgePart([verdict(1, 0.1)], 'deadline', any, 'reject')).toMatchObject({ reject: true, reason: 'deadline' });
  });
});
