import { describe, expect, it } from 'vitest';
import { RateLimit } from '../../src/sinks/rate-limit.js';

describe('RateLimit', () => {
  it('should let one through per key per interval', () => {
    let now = 0;
    const limit = new RateLimit(1000, () => now);
    expect([limit.take('a'), limit.take('a'), limit.take('b')]).toEqual([true, false, true]);
    now = 999;
    expect(limit.take('a')).toBe(false);
    now = 1000;
    expect(limit.take('a')).toBe(true);
  });

  it('should run on the monotonic clock by default: a wall clock stepped back an hour does not stop it', async () => {
    const realNow = Date.now;
    let step = 0;
    Date.now = () => realNow() + step;
    try {
      const limit = new RateLimit(20);
      expect(limit.take('cam1')).toBe(true);
      step = -3_600_000; // NTP steps the clock back an hour
      await new Promise((r) => setTimeout(r, 40));
      expect(limit.take('cam1')).toBe(true);
    } finally {
      Date.now = realNow;
    }
  });
});
