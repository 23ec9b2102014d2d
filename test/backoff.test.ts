import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/backoff.js';

describe('backoffDelay', () => {
  const policy = { initialMs: 100, maxMs: 1000, factor: 3 };

  it('should start at the initial delay and grow by the factor', () => {
    expect([1, 2, 3].map((a) => backoffDelay(a, policy))).toEqual([100, 300, 900]);
  });

  it('should never exceed the cap, however many attempts failed', () => {
    expect(backoffDelay(4, policy)).toBe(1000);
    expect(backoffDelay(10_000, policy)).toBe(1000);
  });
});
