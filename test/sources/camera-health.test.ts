import { describe, expect, it } from 'vitest';
import { nextHealth, startingHealth, type CameraHealth, type HealthInput } from '../../src/sources/camera-health.js';

const run = (inputs: readonly [HealthInput, number][], from: CameraHealth = startingHealth(0)) => inputs.reduce((h, [input, at]) => nextHealth(h, input, at), from);
const tick = (silentMs: number, held = false): HealthInput => ({ type: 'tick', silentMs, watchdogSeconds: 10, held });
const event = (e: Record<string, unknown>): HealthInput => ({ type: 'event', event: { camera: 'c', ...e } as never });

describe('camera health', () => {
  it('should be starting until the first frame, and down after its watchdog time without one', () => {
    expect(run([[tick(9_000), 9]])).toEqual({ state: 'starting', since: 0 });
    expect(run([[tick(10_001), 10]])).toEqual({ state: 'down', since: 10, reason: 'no frame since the start (10 s)' });
    expect(run([[{ type: 'frame' }, 1]])).toEqual({ state: 'up', since: 1 });
  });

  it('should go down at once on a pipeline error and keep that error as the reason through the exits and timeouts that follow', () => {
    const up = run([[{ type: 'frame' }, 1]]);
    const down = run([[event({ type: 'error', message: 'Could not open resource; source rtsp://cam' }), 5], [event({ type: 'exited', code: 1, signal: null }), 6], [event({ type: 'restarting', attempt: 1, delayMs: 500 }), 6], [tick(20_000), 30]], up);
    expect(down).toEqual({ state: 'down', since: 5, reason: 'pipeline error: Could not open resource; source rtsp://cam', fromError: true });
    expect(nextHealth(down, { type: 'frame' }, 40)).toEqual({ state: 'up', since: 40 });
  });

  it('should take an error over an earlier exit as the reason, keeping when it went down', () => {
    const exited = run([[{ type: 'frame' }, 1], [event({ type: 'exited', code: null, signal: 'SIGKILL' }), 5]]);
    expect(exited).toEqual({ state: 'down', since: 5, reason: 'capture process exited (SIGKILL)' });
    expect(nextHealth(exited, event({ type: 'error', message: 'refused' }), 7)).toMatchObject({ since: 5, reason: 'pipeline error: refused' });
  });

  it('should go down when the watchdog finds a frozen camera, or no frame came for its watchdog time, unless the camera is held', () => {
    const up = run([[{ type: 'frame' }, 1]]);
    expect(nextHealth(up, event({ type: 'frame-timeout', seconds: 10 }), 11)).toEqual({ state: 'down', since: 11, reason: 'no frame for 10 s' });
    expect(nextHealth(up, tick(12_500), 13)).toEqual({ state: 'down', since: 13, reason: 'no frame for 12 s' });
    expect(nextHealth(up, tick(60_000, true), 61)).toBe(up);
    expect(nextHealth(up, event({ type: 'warning', message: 'decoder' }), 2)).toBe(up);
  });

  it('should end with its file, and stay up through a loop', () => {
    const up = run([[{ type: 'frame' }, 1]]);
    expect(nextHealth(up, event({ type: 'ended', loop: true }), 5)).toBe(up);
    const ended = nextHealth(up, event({ type: 'ended', loop: false }), 5);
    expect(ended).toEqual({ state: 'ended', since: 5 });
    expect(nextHealth(ended, tick(60_000), 65)).toBe(ended);
    expect(nextHealth(ended, event({ type: 'exited', code: 0, signal: null }), 66)).toBe(ended);
  });
});
