/**
 * The figures the HTTP server and the status show (service/observability.ts) under a stepped wall clock: ages and
 * rates run on the monotonic clock, so NTP stepping the clock of a box without an RTC battery neither makes a dead
 * camera ready for an hour nor keeps an hour of samples in a minute's figures.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { EngineSupervisor } from '../../src/pipeline/supervisor.js';
import { observe } from '../../src/service/observability.js';
import type { MqttSink } from '../../src/sinks/mqtt-sink.js';
import { decision } from '../sinks/fixtures.js';

const cfg = parseConfig({ cameras: [{ id: 'cam1', line: 'line1', product: 'bottle', source: 'test:ball', watchdogSeconds: 5 }], model: { path: 'm.onnx' } });
const sink = { stats: () => ({ queued: 0, dropped: 0 }), link: { connected: true } } as unknown as MqttSink;
const scorer = { stats: () => ({ restarts: 0, health: { state: 'healthy' } }) } as unknown as EngineSupervisor;

function observed() {
  let wall = Date.UTC(2026, 11, 6, 12);
  let mono = 1000;
  const obs = observe(cfg, { sink, scorer, provider: 'cpu', model: 'm@1' }, { now: () => wall, monotonic: () => mono });
  return { obs, step: (ms: number) => (wall += ms), pass: (ms: number) => (mono += ms), wall: () => wall };
}

describe('observe, when the wall clock steps', () => {
  it('should call a camera silent for twice its watchdog not ready, though the clock went back an hour', () => {
    const o = observed();
    o.obs.frame(decision(1, false).frame);
    expect(o.obs.readiness().checks.find((c) => c.name === 'camera cam1')!.ok).toBe(true);
    o.step(-3_600_000);
    o.pass(11_000);
    expect(o.obs.readiness().checks.find((c) => c.name === 'camera cam1')).toMatchObject({ ok: false, detail: 'last frame 11.0 s ago (limit 10 s)' });
    o.obs.close();
  });

  it('should keep a camera ready that delivers, though the clock went ahead an hour', () => {
    const o = observed();
    o.obs.frame(decision(1, false).frame);
    o.step(3_600_000);
    o.pass(100);
    expect(o.obs.readiness().ready).toBe(true);
    o.obs.close();
  });

  it('should give the frames of the last minute, not of the last hour, after a step back', () => {
    const o = observed();
    for (let seq = 0; seq < 60; seq++) {
      o.obs.decision(decision(seq, false));
      o.pass(1000);
    }
    o.step(-3_600_000);
    for (let seq = 60; seq < 70; seq++) {
      o.obs.decision(decision(seq, false));
      o.pass(1000);
    }
    const cam = o.obs.stats().cameras['cam1']!;
    expect(cam.frames).toBe(70);
    expect(cam.fps).toBeCloseTo(1, 1);
    expect(cam.lastAt).toBe(o.wall()); // the time people read stays the wall clock's
    o.obs.close();
  });
});
