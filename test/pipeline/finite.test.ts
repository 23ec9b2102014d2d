import { describe, expect, it } from 'vitest';
import { nonFiniteOutput } from '../../src/pipeline/finite.js';

describe('nonFiniteOutput', () => {
  it('should say nothing of a finite output', () => {
    expect(nonFiniteOutput({ score: 0.3, anomalyMap: new Float32Array([0, 0.3, 1e30]) })).toBeUndefined();
  });

  it('should name a non-finite score and count non-finite map values', () => {
    expect(nonFiniteOutput({ score: NaN, anomalyMap: new Float32Array([0, 1]) })).toBe('score is NaN');
    expect(nonFiniteOutput({ score: Infinity, anomalyMap: new Float32Array([NaN, -Infinity, 1]) })).toBe('score is Infinity, anomaly map: 2 of 3 values not finite');
    expect(nonFiniteOutput({ score: 0.1, anomalyMap: new Float32Array([0, Infinity]) })).toBe('anomaly map: 1 of 2 values not finite');
  });
});
