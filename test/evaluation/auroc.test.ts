import { describe, expect, it } from 'vitest';
import { auroc } from '../../src/evaluation/auroc.js';

/** The definition, pair by pair: P(positive > negative) + 0.5 P(tie). Quadratic, so small inputs only. */
function pairwise(scores: number[], labels: number[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((p, i) => {
    if (!labels[i]) return;
    scores.forEach((n, j) => {
      if (labels[j]) return;
      pairs++;
      wins += p > n ? 1 : p === n ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe('auroc', () => {
  it('should give the textbook value of a small example', () => {
    expect(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
  });

  it('should give 1 for a perfect ranking, 0 for a reversed one and 0.5 when every score ties', () => {
    expect(auroc([1, 2, 3, 4], [0, 0, 1, 1])).toBe(1);
    expect(auroc([4, 3, 2, 1], [0, 0, 1, 1])).toBe(0);
    expect(auroc([7, 7, 7, 7], [1, 0, 1, 0])).toBe(0.5);
  });

  it('should agree with the pairwise definition on random scores with many ties', () => {
    let state = 12345;
    const rand = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 20; trial++) {
      const n = 50 + trial * 7;
      const scores = Array.from({ length: n }, () => Math.floor(rand() * 6) / 2);
      const labels = Array.from({ length: n }, (_, i) => (i === 0 ? 1 : i === 1 ? 0 : rand() < 0.3 ? 1 : 0));
      expect(auroc(scores, labels)).toBeCloseTo(pairwise(scores, labels), 12);
    }
  });

  it('should accept typed arrays and boolean labels without changing them', () => {
    const scores = new Float32Array([0.5, 0.2, 0.9]);
    const labels = new Uint8Array([1, 0, 0]);
    expect(auroc(scores, labels)).toBe(0.5);
    expect(auroc([0.5, 0.2, 0.9], [true, false, false])).toBe(0.5);
    expect([...scores]).toEqual([0.5, 0.20000000298023224, 0.8999999761581421]);
  });

  it('should be NaN when one class is absent and refuse mismatched lengths or NaN scores', () => {
    expect(auroc([1, 2], [0, 0])).toBeNaN();
    expect(auroc([1, 2], [1, 1])).toBeNaN();
    expect(() => auroc([1, 2], [1])).toThrow(/2 scores but 1 labels/);
    expect(() => auroc([1, Number.NaN], [1, 0])).toThrow(/NaN/);
  });
});
