/**
 * Camera faults against real capture processes and a real RTSP server: each is detected, the camera restarted
 * (capped exponential backoff, every attempt an event), frames resume, and the other cameras do not notice.
 * A restart is always a NEW capture process (fresh pid), which is how the pipeline objects that GStreamer leaks
 * are recycled (docs/platform.md).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subscription } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { captureCamera } from '../../src/sources/capture.js';
import type { CameraEvent } from '../../src/sources/events.js';
import type { SourceSpec } from '../../src/sources/uri.js';
import { startRtspServer, type RtspServer } from '../support/rtsp.js';
import { encodeVideo } from './video.js';

interface Watched {
  readonly frames: number[];
  readonly events: CameraEvent[];
  readonly sub: Subscription;
  pids(): number[];
}

/** Captures `id` at 32x24, recording the arrival time of each frame and every event. */
function watch(id: string, spec: SourceSpec, watchdogSeconds = 10): Watched {
  const frames: number[] = [];
  const events: CameraEvent[] = [];
  const camera = { id, line: 'line1', product: 'bolt', spec, loop: false, watchdogSeconds };
  const sub = captureCamera(camera, { width: 32, height: 24, logger: silentLogger, onEvent: (e) => events.push(e), restart: { initialMs: 100, maxMs: 1000, factor: 2 } }).subscribe(() =>
    frames.push(Date.now()),
  );
  return { frames, events, sub, pids: () => events.flatMap((e) => (e.type === 'started' ? [e.pid] : [])) };
}

/** Longest gap between consecutive frames that arrived after `from`. */
const longestGap = (times: readonly number[], from: number) =>
  times.filter((t) => t >= from).reduce((gap, t, i, a) => (i === 0 ? gap : Math.max(gap, t - a[i - 1]!)), 0);

const types = (events: readonly CameraEvent[]) => events.map((e) => e.type);
const waitFor = (condition: () => boolean, timeout: number) => vi.waitUntil(condition, { timeout, interval: 20 });

describe('camera faults', () => {
  let dir: string;
  let video: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uniad-cameras-'));
    video = await encodeVideo(dir, 900); // 30 s at 30 fps: longer than any test here
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should restart a capture process killed with SIGKILL in a new process, the other camera unaffected', async () => {
    const a = watch('a', { kind: 'test', pattern: 'ball' });
    const b = watch('b', { kind: 'test', pattern: 'smpte' });
    try {
      await waitFor(() => a.frames.length >= 10 && b.frames.length >= 10, 10_000);
      const [pid] = a.pids();
      const killedAt = Date.now();
      process.kill(pid!, 'SIGKILL');
      await waitFor(() => a.pids().length === 2 && a.frames.some((t) => t > killedAt + 100), 10_000);
      const resumedMs = a.frames.find((t) => t > killedAt)! - killedAt;
      await new Promise((r) => setTimeout(r, 500));
      console.log(`kill -9: camera a resumed after ${resumedMs} ms in pid ${a.pids()[1]} (was ${pid}); camera b's longest gap ${longestGap(b.frames, killedAt - 200)} ms at 30 fps`);
      expect(types(a.events)).toEqual(['started', 'exited', 'restarting', 'started']);
      expect(a.events[1]).toEqual({ type: 'exited', camera: 'a', code: null, signal: 'SIGKILL' });
      expect(a.pids()[1]).not.toBe(pid);
      expect(types(b.events)).toEqual(['started']);
      // b goes on through a's restart: frames of b arrived while a had none (between the kill and a's first frame
      // after it), in the same order of events on any machine; how long the gap was is only logged above
      const aBack = a.frames.find((t) => t > killedAt)!;
      expect(b.frames.filter((t) => t > killedAt && t < aBack).length).toBeGreaterThan(0);
    } finally {
      a.sub.unsubscribe();
      b.sub.unsubscribe();
    }
  });

  describe('against a real RTSP server', () => {
    let server: RtspServer | undefined;
    afterAll(() => server?.stop());

    it('should reconnect when the server goes away and comes back on the same port', async () => {
      server = await startRtspServer(video);
      const { port } = server;
      const cam = watch('rtsp1', { kind: 'rtsp', uri: server.url }, 2);
      try {
        await waitFor(() => cam.frames.length >= 10, 15_000);
        const stoppedAt = Date.now();
        await server.stop();
        await waitFor(() => cam.events.filter((e) => e.type === 'restarting').length >= 3, 15_000);
        server = await startRtspServer(video, port);
        const backAt = Date.now();
        await waitFor(() => cam.frames.some((t) => t > backAt + 200), 20_000);
        const restarts = cam.events.filter((e) => e.type === 'restarting');
        console.log(
          `rtsp server down ${backAt - stoppedAt} ms: ${restarts.length} restart attempts (delays ${restarts.map((e) => (e as { delayMs: number }).delayMs).join(', ')} ms), frames again ${cam.frames.find((t) => t > backAt)! - backAt} ms after it was back`,
        );
        expect(cam.pids().length).toBeGreaterThanOrEqual(3);
        expect(new Set(cam.pids()).size).toBe(cam.pids().length);
        expect(types(cam.events)).toContain('exited');
      } finally {
        cam.sub.unsubscribe();
      }
    });

    it('should restart through its watchdog when the server freezes (SIGSTOP), and resume after SIGCONT', async () => {
      server ??= await startRtspServer(video);
      const frozen = server;
      const cam = watch('rtsp2', { kind: 'rtsp', uri: frozen.url }, 1);
      try {
        await waitFor(() => cam.frames.length >= 10, 15_000);
        const stoppedAt = Date.now();
        process.kill(frozen.pid, 'SIGSTOP');
        try {
          await waitFor(() => cam.events.filter((e) => e.type === 'frame-timeout').length >= 2 && cam.pids().length >= 3, 10_000);
        } finally {
          process.kill(frozen.pid, 'SIGCONT');
        }
        const contAt = Date.now();
        await waitFor(() => cam.frames.some((t) => t > contAt + 200), 20_000);
        const timeouts = cam.events.filter((e) => e.type === 'frame-timeout').length;
        console.log(
          `rtsp server frozen ${contAt - stoppedAt} ms: ${timeouts} watchdog timeouts, ${cam.pids().length - 1} restarts; frames again ${cam.frames.find((t) => t > contAt)! - contAt} ms after SIGCONT`,
        );
        // the frozen server gave no error and no exit: only the watchdog saw it
        expect(types(cam.events).slice(0, 3)).toEqual(['started', 'frame-timeout', 'exited']);
        expect(cam.events.some((e) => e.type === 'error')).toBe(false);
      } finally {
        cam.sub.unsubscribe();
      }
    });
  });
});
