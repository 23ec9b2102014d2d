import { describe, expect, it } from 'vitest';
import { bestF1, falseRejectThreshold, imagesNeeded, nextAbove, rejectRate, supported } from '../../src/calibrate/quantile.js';
import { binomialInterval } from '../support/binomial.js';

/** Deterministic uniform [0, 1) stream (mulberry32). */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples by Box–Muller. */
function normals(n: number, seed: number, mean = 0, sd = 1): number[] {
  const u = uniform(seed);
  return Array.from({ length: n }, () => mean + sd * Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()));
}

describe('falseRejectThreshold', () => {
  it('should reject exactly the top ⌊target·n⌋ of the scores 0..999', () => {
    const scores = Array.from({ length: 1000 }, (_, i) => i);
    for (const target of [0.001, 0.01, 0.05, 0.1, 0.5]) {
      const t = falseRejectThreshold(scores, target);
      expect(rejectRate(scores, t)).toBeCloseTo(Math.floor(target * 1000) / 1000, 12);
    }
    expect(falseRejectThreshold(scores, 0.01)).toBe(989.5); // between 989 (passed) and 990 (first of 10 rejected)
  });

  it('should not depend on the order of the scores', () => {
    const scores = normals(500, 3);
    const reversed = [...scores].reverse();
    expect(falseRejectThreshold(reversed, 0.05)).toBe(falseRejectThreshold(scores, 0.05));
  });

  it('should find the normal distribution\'s upper quantile: mean + 1.645 sd at 5 %, + 2.326 sd at 1 %', () => {
    const scores = normals(200_000, 11, 10, 2);
    expect(falseRejectThreshold(scores, 0.05)).toBeCloseTo(10 + 1.6449 * 2, 1);
    expect(falseRejectThreshold(scores, 0.01)).toBeCloseTo(10 + 2.3263 * 2, 1);
  });

  it('should find the exponential distribution\'s quantile -ln(target)', () => {
    const u = uniform(5);
    const scores = Array.from({ length: 200_000 }, () => -Math.log(1 - u()));
    expect(falseRejectThreshold(scores, 0.001)).toBeCloseTo(-Math.log(0.001), 1);
  });

  it('should give new normal images of the same distribution the target rate, inside the 99 % binomial interval', () => {
    // 20 000 to calibrate on (so the threshold's own sampling error is small next to the interval's), 2000 new ones:
    // too strict a threshold fails here as well as too loose.
    const target = 0.05;
    const threshold = falseRejectThreshold(normals(20_000, 21), target);
    const fresh = normals(2000, 22);
    const rejected = fresh.filter((s) => s >= threshold).length;
    const { lo, hi } = binomialInterval(2000, target, 0.99);
    expect(rejected).toBeGreaterThanOrEqual(lo);
    expect(rejected).toBeLessThanOrEqual(hi);
  });

  it('should cut just above the highest score when too few images support the target', () => {
    expect(falseRejectThreshold([1, 2, 3], 0.001)).toBe(nextAbove(3));
    expect(rejectRate([1, 2, 3], nextAbove(3))).toBe(0);
    expect(supported(999, 0.001)).toBe(false);
    expect(supported(1000, 0.001)).toBe(true);
    expect(imagesNeeded(0.05)).toBe(20);
  });

  it('should reject tied scores on the cut together, never pass one of them', () => {
    const t = falseRejectThreshold([1, 2, 5, 5, 5], 0.2);
    expect(t).toBe(5);
    expect(rejectRate([1, 2, 5, 5, 5], t)).toBe(0.6);
  });

  it('should refuse a target outside (0, 1), no scores, or a non-finite score', () => {
    expect(() => falseRejectThreshold([1], 0)).toThrow(/\(0, 1\)/);
    expect(() => falseRejectThreshold([1], 1)).toThrow(/\(0, 1\)/);
    expect(() => falseRejectThreshold([], 0.1)).toThrow(/no normal scores/);
    expect(() => falseRejectThreshold([1, Number.NaN], 0.1)).toThrow(/finite/);
  });
});

describe('nextAbove', () => {
  it('should give the next double for positive, negative and zero values', () => {
    expect(nextAbove(1)).toBe(1 + Number.EPSILON);
    expect(nextAbove(-1)).toBeGreaterThan(-1);
    expect(nextAbove(-1) - -1).toBeLessThan(1e-15);
    expect(nextAbove(0)).toBe(Number.MIN_VALUE);
  });
});

describe('bestF1', () => {
  it('should find the cut that separates two disjoint sets (F1 = 1) at the lowest defect score', () => {
    const p = bestF1([0.1, 0.2, 0.3], [0.5, 0.9]);
    expect(p).toEqual({ threshold: 0.5, f1: 1, precision: 1, recall: 1, falseReject: 0 });
  });

  it('should trade one false reject for two found defects when that raises F1', () => {
    // At 0.6: tp 1, fp 0 → F1 0.5. At 0.4: tp 3, fp 1 → P 0.75, R 1, F1 6/7.
    const p = bestF1([0.1, 0.45], [0.4, 0.5, 0.6]);
    expect(p.threshold).toBe(0.4);
    expect(p.f1).toBeCloseTo(6 / 7, 12);
    expect(p.falseReject).toBe(0.5);
  });

  it('should not cut between equal scores', () => {
    const p = bestF1([0.5], [0.5, 0.5]);
    expect(p.threshold).toBe(0.5);
    expect(p.precision).toBeCloseTo(2 / 3, 12);
  });
});

describe('binomialInterval (test support)', () => {
  it('should match the 99 % interval of Binomial(400, 0.05) that scipy.stats.binom.interval gives: 10..32', () => {
    // scipy: P(X <= 9) = 0.0042, P(X <= 10) = 0.0094; P(X >= 33) = 0.0038, P(X >= 32) = 0.0067.
    expect(binomialInterval(400, 0.05, 0.99)).toEqual({ lo: 10, hi: 32 });
  });
});
