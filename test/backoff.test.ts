import { describe, expect, it } from 'vitest';
import { backoffDelay, defaultBackoff } from '../src/backoff.js';
import { cameraBackoff } from '../src/sources/capture.js';

describe('backoffDelay', () => {
  const policy = { initialMs: 100, maxMs: 1000, factor: 3 };

  it('should start at the initial delay and grow by the factor', () => {
    expect([1, 2, 3].map((a) => backoffDelay(a, policy))).toEqual([100, 300, 900]);
  });

  it('should never exceed the cap, however many attempts failed', () => {
    expect(backoffDelay(4, policy)).toBe(1000);
    expect(backoffDelay(10_000, policy)).toBe(1000);
  });

  it("should restart a camera within 5 s however long it was down (its server back, it inspects again), the inference worker within 30 s", () => {
    expect(Array.from({ length: 8 }, (_, i) => backoffDelay(i + 1, cameraBackoff))).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000, 5000]);
    expect(backoffDelay(100, defaultBackoff)).toBe(30_000);
  });
});
