import { describe, expect, it } from 'vitest';
import { EventLoopProbe } from '../../src/http/event-loop.js';
import { readiness, type ReadinessFacts } from '../../src/http/readiness.js';

const now = 1_000_000;
const facts = (over: Partial<ReadinessFacts> = {}): ReadinessFacts => ({
  modelLoaded: true,
  cameras: [
    { id: 'cam1', watchdogSeconds: 10, lastFrameAt: now - 100 },
    { id: 'cam2', watchdogSeconds: 5, lastFrameAt: now - 9_000 },
  ],
  broker: { connected: true, queued: 0, bound: 100 },
  now,
  ...over,
});

describe('readiness', () => {
  it('should be ready with the model loaded, fresh frames and a connected broker', () => {
    expect(readiness(facts()).ready).toBe(true);
  });

  it('should stay ready while the broker is down and the offline queue has room', () => {
    expect(readiness(facts({ broker: { connected: false, queued: 99, bound: 100 } })).ready).toBe(true);
  });

  it('should turn unready when the broker is down and the queue is at its bound', () => {
    const r = readiness(facts({ broker: { connected: false, queued: 100, bound: 100 } }));
    expect(r.ready).toBe(false);
    expect(r.checks.find((c) => c.name === 'broker')).toMatchObject({ ok: false, detail: 'unreachable, 100 of 100 verdict messages queued' });
  });

  it('should turn unready when a camera has had no frame for twice its watchdog time', () => {
    const r = readiness(facts({ cameras: [{ id: 'cam2', watchdogSeconds: 5, lastFrameAt: now - 10_001 }] }));
    expect(r.ready).toBe(false);
    expect(r.checks.find((c) => c.name === 'camera cam2')?.ok).toBe(false);
  });

  it('should not be ready before a camera delivered its first frame, nor before the model loaded', () => {
    expect(readiness(facts({ cameras: [{ id: 'cam1', watchdogSeconds: 10, lastFrameAt: null }] })).ready).toBe(false);
    expect(readiness(facts({ modelLoaded: false })).ready).toBe(false);
  });
});

describe('EventLoopProbe', () => {
  it('should call the loop unresponsive while its timer is overdue past the limit, and responsive again after', () => {
    let t = 0;
    const probe = new EventLoopProbe(1000, 250, () => t);
    try {
      t = 250;
      probe.tick();
      expect(probe.responsive()).toBe(true);
      t = 250 + 250 + 1500; // the loop was blocked for 1.5 s past the next tick
      expect(probe.lagMs()).toBe(1500);
      expect(probe.responsive()).toBe(false);
      probe.tick();
      t += 250;
      probe.tick();
      expect(probe.responsive()).toBe(true);
    } finally {
      probe.close();
    }
  });
});
