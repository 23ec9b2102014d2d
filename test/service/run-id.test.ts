import { describe, expect, it } from 'vitest';
import { runIdAt } from '../../src/service.js';

describe('the run part of verdict ids', () => {
  it('should differ between runs started at the same time (a box without an RTC battery starts at the same wrong time)', () => {
    const ids = Array.from({ length: 50 }, () => runIdAt(0));
    expect(ids.every((id) => /^0[0-9a-z]{3}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBeGreaterThan(45);
    expect(runIdAt(Date.UTC(2026, 11, 6)).startsWith(Date.UTC(2026, 11, 6).toString(36))).toBe(true);
  });
});
