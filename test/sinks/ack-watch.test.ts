import { describe, expect, it } from 'vitest';
import { AckWatch } from '../../src/sinks/ack-watch.js';

describe('AckWatch', () => {
  it('should owe nothing before a publish and after every publish settled', () => {
    let now = 0;
    const acks = new AckWatch(() => now);
    acks.connected();
    expect(acks.overdueMs()).toBe(0);
    const a = acks.sent();
    const b = acks.sent();
    now = 5000;
    acks.settled(a);
    acks.settled(b);
    expect([acks.overdueMs(), acks.owed]).toEqual([0, 0]);
  });

  it('should measure from the oldest publish still owed, whatever order they settle in', () => {
    let now = 0;
    const acks = new AckWatch(() => now);
    acks.connected();
    const first = acks.sent();
    now = 1000;
    const second = acks.sent();
    now = 3000;
    expect(acks.overdueMs()).toBe(3000);
    acks.settled(second);
    expect(acks.overdueMs()).toBe(3000);
    acks.settled(first);
    expect(acks.overdueMs()).toBe(0);
    const third = acks.sent();
    now = 3500;
    expect([acks.overdueMs(), acks.owed]).toEqual([500, 1]);
    acks.settled(third);
  });

  it('should count a publish sent before the connection began from the connect, not from its send', () => {
    let now = 0;
    const acks = new AckWatch(() => now);
    acks.sent();
    now = 60_000;
    acks.connected();
    now = 61_000;
    expect(acks.overdueMs()).toBe(1000);
  });
});
