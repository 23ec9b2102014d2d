/**
 * Item 1 of issue 20: the RTSP server of one camera was killed, and 45 s later the retained status still said `online`
 * with no cause, nothing on MQTT said its parts went by uninspected, and the camera came back 27 s after its server
 * (restarts capped at 30 s). The real service process, a real RTSP server (gst-rtsp-server) killed and started again
 * on its port, an independent subscriber: the status names the camera down within its watchdog time, its retained
 * state topic says `down` with the fail-safe decision, `uniad_camera_up` is 0; back, all of it turns and frames flow
 * (restarts now capped at 5 s). A second camera inspects throughout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/types.js';
import { tinyModels } from '../setup/tiny-model.js';
import { startRtspServer, type RtspServer } from '../support/rtsp.js';
import { subscribe } from '../support/subscriber.js';
import { startServiceProcess, writeConfig } from './service-process.js';
import { encodeVideo } from './video.js';

interface Status {
  readonly state: string;
  readonly causes?: { code: string; message: string }[];
  readonly stats?: { cameras: Record<string, { state: string; downReason?: string }> };
}

interface CameraState {
  readonly camera: string;
  readonly state: string;
  readonly reason?: string;
  readonly failSafe: string;
  readonly since: number;
}

const watchdogSeconds = 3;
const dir = mkdtempSync(join(tmpdir(), 'uniad-camera-down-'));
let video: string;
let server: RtspServer | undefined;
beforeAll(async () => {
  video = await encodeVideo(dir, 1800); // 60 s: longer than the test, so the stream does not end by itself
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a camera whose RTSP server dies', () => {
  it('should be down on the status, its state topic and the metrics within its watchdog time, and up with frames soon after its server is back', async () => {
    server = await startRtspServer(video);
    const { port } = server;
    const svc = startServiceProcess(
      writeConfig(dir, 'line.yaml', {
        node: 'edge',
        cameras: [
          { id: 'rtsp1', line: 'line1', product: 'bolt', source: server.url, watchdogSeconds },
          { id: 'ball', line: 'line1', product: 'bolt', source: 'test:ball', fps: 10 },
        ],
        model: { path: tinyModels.ok, providers: ['cpu'], threads: 1 },
        mqtt: { queue: { store: 'memory' }, statsIntervalSeconds: 1 },
        embeddedBroker: { port: 0, wsPort: 0 },
        dashboard: { host: '127.0.0.1', port: 0, page: false },
      }),
      dir,
    );
    try {
      const { url } = await svc.waitForLog('embedded broker listening');
      await expect.poll(() => /dashboard at (http:\S+)/.test(svc.stderr()), { timeout: 30_000 }).toBe(true);
      const metrics = async () => (await fetch(`${/dashboard at (http:\S+)/.exec(svc.stderr())![1]!.replace(/\/$/, '')}/metrics`)).text();
      const cameraUp = async () => Number(/^uniad_camera_up\{camera="rtsp1",line="line1"\} (\d)$/m.exec(await metrics())?.[1]);
      const sub = await subscribe(url as string, ['uniad/site/status/edge', 'uniad/site/line1/+/state', 'uniad/site/line1/+/verdict']);
      const status = () => sub.json<Status>('status/edge').at(-1);
      const state = () => sub.json<CameraState>('rtsp1/state').at(-1);
      const verdicts = (camera: string) => sub.json<Verdict>('verdict').filter((v) => v.camera === camera);

      await expect.poll(() => verdicts('rtsp1').length, { timeout: 30_000 }).toBeGreaterThanOrEqual(10);
      await expect.poll(() => state()?.state, { timeout: 5000 }).toBe('up');
      expect(await cameraUp()).toBe(1);

      const killedAt = Date.now();
      await server.stop();
      // within its watchdog time (and a status period to publish it)
      const within = watchdogSeconds * 1000 + 2000;
      await expect.poll(() => status()?.causes?.find((c) => c.code === 'CAMERA_DOWN'), { timeout: within, interval: 50 }).toMatchObject({
        message: expect.stringMatching(/^camera rtsp1: no frames since \S+ \(.+\); its parts pass uninspected and get no verdict/),
      });
      const causeMs = Date.now() - killedAt;
      expect(status()!.state).toBe('degraded');
      await expect.poll(() => state(), { timeout: within }).toMatchObject({ camera: 'rtsp1', state: 'down', failSafe: 'reject', reason: expect.any(String) });
      expect(sub.on('rtsp1/state').at(-1)!.retain).toBe(false); // live delivery; a new subscriber gets it retained:
      const late = await subscribe(url as string, ['uniad/site/line1/rtsp1/state']);
      expect(JSON.parse((await late.waitFor(1))[0]!.payload.toString())).toMatchObject({ state: 'down', failSafe: 'reject' });
      await late.close();
      expect(await cameraUp()).toBe(0);
      await expect.poll(() => status()?.stats?.cameras['rtsp1']?.state, { timeout: 5000 }).toBe('down');
      // the other camera is not concerned
      expect(status()!.causes!.filter((c) => c.code === 'CAMERA_DOWN')).toHaveLength(1);
      const ballBefore = verdicts('ball').length;
      await expect.poll(() => verdicts('ball').length, { timeout: 10_000 }).toBeGreaterThan(ballBefore + 10);

      const delays = () => svc.logs.filter((l) => l.msg === 'restarting camera capture' && l['camera'] === 'rtsp1').map((l) => l['delayMs'] as number);
      // down long enough for the restarts to reach their cap, 5 s (it was 30 s)
      await expect.poll(() => delays().includes(5000), { timeout: 30_000 }).toBe(true);
      server = await startRtspServer(video, port);
      const backAt = Date.now();
      const seen = verdicts('rtsp1').length;
      await expect.poll(() => verdicts('rtsp1').length, { timeout: 30_000 }).toBeGreaterThan(seen);
      const framesMs = Date.now() - backAt;
      await expect.poll(() => state()?.state, { timeout: 5000 }).toBe('up');
      await expect.poll(() => status()?.state, { timeout: 5000 }).toBe('online');
      expect(await cameraUp()).toBe(1);
      console.log(`camera down: cause on the status ${causeMs} ms after the server was killed (watchdog ${watchdogSeconds} s); restarts after ${delays().join(', ')} ms; frames again ${framesMs} ms after the server was back`);
      expect(Math.max(...delays())).toBe(5000);
      expect(svc.logs.some((l) => l.msg === 'camera down: no frames, its parts pass uninspected' && l['camera'] === 'rtsp1')).toBe(true);
      expect(svc.logs.some((l) => l.msg === 'camera up again: frames flow' && l['camera'] === 'rtsp1')).toBe(true);
      await sub.close();
    } finally {
      const stop = await svc.stop();
      expect(stop.code, svc.stderr().slice(-2000)).toBe(0);
    }
  });
});
