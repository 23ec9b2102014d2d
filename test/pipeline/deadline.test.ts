import { describe, expect, it } from 'vitest';
import { expiresAt, isExpired, nextExpiry, partitionExpired } from '../../src/pipeline/deadline.js';
import { makeFrame } from './frames.js';

const at = (capturedAt: number, seq = capturedAt) => makeFrame({ capturedAt, seq, size: 1 });

describe('deadline', () => {
  it('expires a frame only once its age is strictly past the deadline', () => {
    expect(expiresAt(at(100), 50)).toBe(150);
    expect(isExpired(at(100), 50, 150)).toBe(false);
    expect(isExpired(at(100), 50, 151)).toBe(true);
  });

  it('splits frames into live and expired, keeping their order', () => {
    const frames = [at(10, 1), at(100, 2), at(20, 3), at(90, 4)];
    const { live, expired } = partitionExpired(frames, 50, 100);
    expect(live.map((f) => f.seq)).toEqual([2, 4]);
    expect(expired.map((f) => f.seq)).toEqual([1, 3]);
  });

  it('finds the earliest expiry whatever the order of capture', () => {
    expect(nextExpiry([at(30), at(10), at(20)], 5)).toBe(15);
    expect(nextExpiry([], 5)).toBeNull();
  });
});
