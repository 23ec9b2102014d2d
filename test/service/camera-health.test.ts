/**
 * The cameras' health told to the line (service/camera-health.ts), on a fake clock: causes, the retained state topic,
 * what the figures get, and the time measured on the monotonic clock only.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { watchCameras } from '../../src/service/camera-health.js';
import { StatusCauses } from '../../src/sinks/status-causes.js';
import type { CameraHealth } from '../../src/sources/camera-health.js';

const cfg = parseConfig({
  cameras: [
    { id: 'rtsp1', line: 'line1', product: 'bolt', source: 'rtsp://127.0.0.1:8554/cam', watchdogSeconds: 2 },
    { id: 'ball', line: 'line1', product: 'bolt', source: 'test:ball' },
  ],
  model: { path: 'm.onnx' },
});

function watched() {
  let wall = Date.UTC(2026, 11, 6, 12);
  let mono = 0;
  const causes = new StatusCauses();
  const published: { topic: string; payload: Record<string, unknown> }[] = [];
  const health: [string, CameraHealth][] = [];
  const watch = watchCameras(cfg.cameras, {
    causes,
    logger: silentLogger,
    onHealth: (camera, h) => health.push([camera, h]),
    publishRetained: (topic, payload) => published.push({ topic, payload: JSON.parse(payload) }),
    prefix: 'uniad/site',
    failSafe: 'reject',
    held: () => false,
    now: () => wall,
    monotonic: () => mono,
    tickMs: 5,
  });
  return {
    watch,
    causes,
    published,
    health,
    step: (ms: number) => (wall += ms),
    pass: (ms: number) => (mono += ms),
    settle: () => new Promise((r) => setTimeout(r, 30)),
  };
}

describe('watchCameras', () => {
  it('should publish every camera as starting, then up with frames, down with the cause on a failure, and up again', async () => {
    const w = watched();
    expect(w.published.map((p) => [p.topic, p.payload['state']])).toEqual([
      ['uniad/site/line1/rtsp1/state', 'starting'],
      ['uniad/site/line1/ball/state', 'starting'],
    ]);
    w.watch.frame('rtsp1');
    w.watch.frame('ball');
    w.watch.event({ type: 'error', camera: 'rtsp1', message: 'Could not connect; source rtsp://127.0.0.1:8554/cam' });
    expect(w.causes.list()).toEqual([{ code: 'CAMERA_DOWN', message: expect.stringContaining('camera rtsp1: no frames since 2026-12-06T12:00:00.000Z (pipeline error: Could not connect') }]);
    expect(w.published.at(-1)).toEqual({
      topic: 'uniad/site/line1/rtsp1/state',
      payload: { camera: 'rtsp1', line: 'line1', state: 'down', since: Date.UTC(2026, 11, 6, 12), reason: 'pipeline error: Could not connect; source rtsp://127.0.0.1:8554/cam', failSafe: 'reject', at: Date.UTC(2026, 11, 6, 12) },
    });
    w.watch.frame('rtsp1');
    expect(w.causes.list()).toEqual([]);
    expect(w.health.map(([camera, h]) => `${camera} ${h.state}`)).toEqual(['rtsp1 up', 'ball up', 'rtsp1 down', 'rtsp1 up']);
    w.watch.close();
    expect(w.published.slice(-2).map((p) => [p.payload['camera'], p.payload['state'], p.payload['reason']])).toEqual([
      ['rtsp1', 'down', 'the service stopped'],
      ['ball', 'down', 'the service stopped'],
    ]);
  });

  it('should count silence on the monotonic clock: a wall clock stepped an hour either way neither downs nor hides a camera', async () => {
    const w = watched();
    w.watch.frame('rtsp1');
    w.watch.frame('ball');
    w.step(3_600_000);
    await w.settle();
    w.step(-7_200_000);
    await w.settle();
    expect(w.causes.list()).toEqual([]);
    w.pass(2_500); // silent past its 2 s watchdog
    w.watch.frame('ball'); // the other camera delivers
    await w.settle();
    expect(w.causes.list()).toEqual([{ code: 'CAMERA_DOWN', message: expect.stringContaining('camera rtsp1: no frames since') }]);
    expect(w.causes.list()[0]!.message).toContain('(no frame for 2 s)');
    w.watch.close();
  });

  it('should watch a camera a reload added from when it was added, and let one it removed go with its cause cleared', async () => {
    const w = watched();
    w.watch.frame('ball');
    w.watch.event({ type: 'error', camera: 'rtsp1', message: 'Could not connect' });
    expect(w.causes.list().map((c) => c.code)).toEqual(['CAMERA_DOWN']);
    w.pass(60_000); // long after the start: an added camera is not down for the silence before it existed
    const added = { ...cfg.cameras[0]!, id: 'cam3', watchdogSeconds: 2 };
    w.watch.setCameras([cfg.cameras[1]!, added]);
    expect(w.causes.list()).toEqual([]);
    expect(w.published.slice(-2).map((p) => [p.payload['camera'], p.payload['state'], p.payload['reason']])).toEqual([
      ['rtsp1', 'down', 'removed from the config'],
      ['cam3', 'starting', undefined],
    ]);
    w.watch.frame('ball');
    await w.settle();
    expect(w.causes.list()).toEqual([]);
    w.pass(2_500);
    w.watch.frame('ball');
    await w.settle();
    expect(w.causes.list()).toEqual([{ code: 'CAMERA_DOWN', message: expect.stringContaining('camera cam3: no frames since') }]);
    w.watch.close();
    expect(w.published.slice(-2).map((p) => p.payload['camera'])).toEqual(['ball', 'cam3']);
  });
});
