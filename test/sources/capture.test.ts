import { fileURLToPath } from 'node:url';
import { firstValueFrom, lastValueFrom, Subscription, take, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { captureCamera, type CaptureOptions } from '../../src/sources/capture.js';
import type { CameraEvent } from '../../src/sources/events.js';
import { FlowGate } from '../../src/sources/flow-gate.js';
import type { SourceSpec } from '../../src/sources/uri.js';
import type { Frame } from '../../src/types.js';
import { startRtspServer, type RtspServer } from '../support/rtsp.js';
import { testVideo } from '../setup/video.js';

function camera(spec: SourceSpec, extra: { loop?: boolean; watchdogSeconds?: number; fps?: number } = {}) {
  return { id: 'cam1', line: 'line1', product: 'bottle', spec, loop: false, watchdogSeconds: 10, ...extra };
}

/** Capture options that record events; restarts are quick so fault tests stay short. */
function recorded(width: number, height: number): { opts: CaptureOptions; events: CameraEvent[] } {
  const events: CameraEvent[] = [];
  return { events, opts: { width, height, logger: silentLogger, onEvent: (e) => events.push(e), restart: { initialMs: 50, maxMs: 400, factor: 2 } } };
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Waits are generous: each capture process is a new Node with tsx and GStreamer, which takes seconds on a loaded
 * machine (CI, two cores shared). What a test asserts never depends on how long the wait took.
 */
const slowStartMs = 30_000;

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const started = (events: CameraEvent[]) => events.filter((e): e is Extract<CameraEvent, { type: 'started' }> => e.type === 'started');

describe('captureCamera', () => {
  it('should deliver test frames of the asked size with increasing seq', async () => {
    const before = Date.now();
    const frames = await lastValueFrom(captureCamera(camera({ kind: 'test', pattern: 'ball' }), recorded(64, 48).opts).pipe(take(5), toArray()));
    expect(frames.map((f) => f.seq)).toEqual([0, 1, 2, 3, 4]);
    for (const f of frames) {
      expect([f.camera, f.line, f.product, f.width, f.height]).toEqual(['cam1', 'line1', 'bottle', 64, 48]);
      expect(f.pixels.length).toBe(64 * 48 * 3);
      expect(f.capturedAt).toBeGreaterThanOrEqual(before);
    }
  });

  it('should deliver every frame of a file, then complete', async () => {
    const { opts, events } = recorded(64, 48);
    const frames = await lastValueFrom(captureCamera(camera({ kind: 'file', path: testVideo.path }), opts).pipe(toArray()));
    expect(frames).toHaveLength(testVideo.frames);
    expect(frames.map((f) => f.seq)).toEqual(Array.from({ length: testVideo.frames }, (_, i) => i));
    expect(events.map((e) => e.type)).toEqual(['started', 'ended']);
  });

  it('should deliver every frame of a file at an odd width, with rows packed', async () => {
    const frames = await lastValueFrom(captureCamera(camera({ kind: 'file', path: testVideo.path }), recorded(225, 50).opts).pipe(toArray()));
    expect(frames).toHaveLength(testVideo.frames);
    for (const f of frames) expect(f.pixels.length).toBe(225 * 50 * 3);
  });

  it('should pack odd-width rows so that every row of vertical bars is the same', async () => {
    // SMPTE bars are vertical in their top two thirds: rows left padded would each shift by one more byte.
    const frame = await firstValueFrom(captureCamera(camera({ kind: 'test', pattern: 'smpte' }), recorded(225, 30).opts));
    const row = (y: number) => Buffer.from(frame.pixels.subarray(y * 225 * 3, (y + 1) * 225 * 3));
    for (const y of [1, 5, 10, 15]) expect(row(y)).toEqual(row(0));
  });

  it('should play a file again and again with loop, seq still increasing', async () => {
    const { opts, events } = recorded(32, 24);
    const frames = await lastValueFrom(
      captureCamera(camera({ kind: 'file', path: testVideo.path }, { loop: true }), opts).pipe(take(testVideo.frames + 5), toArray()),
    );
    expect(frames.at(-1)!.seq).toBe(testVideo.frames + 4);
    expect(events.filter((e) => e.type === 'ended')).toEqual([{ type: 'ended', camera: 'cam1', loop: true }]);
    expect(started(events)).toHaveLength(2);
  });

  it('should count the end of a looping file as its end when its process needs SIGKILL to go, not as a restart', async () => {
    const { opts, events } = recorded(32, 24);
    const nodeOptions = process.env.NODE_OPTIONS;
    // Children inherit it: none can exit by itself at the end of its file (issue 20 item 11: a loaded machine).
    process.env.NODE_OPTIONS = `${nodeOptions ?? ''} --require ${fileURLToPath(new URL('../support/stuck-capture-exit.cjs', import.meta.url))}`;
    try {
      const frames = await lastValueFrom(
        captureCamera(camera({ kind: 'file', path: testVideo.path }, { loop: true, watchdogSeconds: 1 }), opts).pipe(take(testVideo.frames + 5), toArray()),
      );
      expect(frames.map((f) => f.seq)).toEqual([...Array(testVideo.frames + 5).keys()]);
      expect(events.map((e) => e.type)).toEqual(['started', 'ended', 'started']);
    } finally {
      if (nodeOptions === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = nodeOptions;
    }
  });

  describe('from a real RTSP server', () => {
    let server: RtspServer;
    beforeAll(async () => {
      server = await startRtspServer(testVideo.path);
    });
    afterAll(() => server?.stop());

    it('should deliver frames', async () => {
      const frames = await lastValueFrom(captureCamera(camera({ kind: 'rtsp', uri: server.url }), recorded(64, 48).opts).pipe(take(10), toArray()));
      expect(frames.map((f) => f.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(frames.every((f) => f.pixels.length === 64 * 48 * 3)).toBe(true);
    });
  });

  it('should leave no capture process behind once unsubscribed, the process ending on SIGTERM by itself', async () => {
    const { opts, events } = recorded(32, 24);
    // A long grace period: a process gone well before it was not SIGKILLed.
    await firstValueFrom(captureCamera(camera({ kind: 'test', pattern: 'ball' }), { ...opts, killGraceMs: 10_000 }));
    const { pid } = started(events)[0]!;
    // Below the grace period, so the parent's SIGKILL cannot be what ended it.
    await until(() => !isAlive(pid), 8000, `capture process ${pid} to exit`);
  });

  it('should keep capturing when the event handler throws', async () => {
    const opts: CaptureOptions = {
      ...recorded(32, 24).opts,
      onEvent: () => {
        throw new Error('handler bug');
      },
    };
    const frames = await lastValueFrom(captureCamera(camera({ kind: 'test', pattern: 'ball' }), opts).pipe(take(3), toArray()));
    expect(frames).toHaveLength(3);
  });

  it('should restart a capture process that was killed and resume the frames', async () => {
    const { opts, events } = recorded(32, 24);
    const frames: Frame[] = [];
    const sub: Subscription = captureCamera(camera({ kind: 'test', pattern: 'ball' }), opts).subscribe((f) => frames.push(f));
    try {
      await until(() => frames.length >= 3, slowStartMs, 'first frames');
      const { pid } = started(events)[0]!;
      process.kill(pid, 'SIGKILL');
      const before = frames.length;
      await until(() => frames.length >= before + 3 && started(events).length === 2, slowStartMs, 'frames from a new process');
      expect(events).toContainEqual({ type: 'exited', camera: 'cam1', code: null, signal: 'SIGKILL' });
      expect(events).toContainEqual({ type: 'restarting', camera: 'cam1', attempt: 1, delayMs: 50 });
      expect(started(events)[1]!.pid).not.toBe(pid);
      expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i));
    } finally {
      sub.unsubscribe();
    }
  });

  it('should restart a camera that sends no frame within its watchdog time', async () => {
    const { opts, events } = recorded(32, 24);
    // A frame every 5 s against a 1 s watchdog: the process is declared frozen after its first frame.
    const sub = captureCamera(camera({ kind: 'test', pattern: 'ball' }, { fps: 0.2, watchdogSeconds: 1 }), opts).subscribe();
    try {
      await until(() => started(events).length === 2, slowStartMs, 'a second capture process');
      expect(events.map((e) => e.type)).toEqual(['started', 'frame-timeout', 'exited', 'restarting', 'started']);
    } finally {
      sub.unsubscribe();
    }
  });

  it('should not count a slow start of the capture process against its watchdog', async () => {
    const { opts, events } = recorded(32, 24);
    const nodeOptions = process.env.NODE_OPTIONS;
    // Children inherit it: each takes 3 s longer to start, more than its 2 s watchdog.
    process.env.NODE_OPTIONS = `${nodeOptions ?? ''} --require ${fileURLToPath(new URL('../support/slow-capture-start.cjs', import.meta.url))}`;
    const frames: Frame[] = [];
    const sub = captureCamera(camera({ kind: 'test', pattern: 'ball' }, { watchdogSeconds: 2 }), opts).subscribe((f) => frames.push(f));
    try {
      await until(() => frames.length >= 3, slowStartMs, 'first frames');
      expect(events.map((e) => e.type)).toEqual(['started']);
    } finally {
      sub.unsubscribe();
      if (nodeOptions === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = nodeOptions;
    }
  });

  it('should stop reading a held file camera without a watchdog restart, and deliver every frame once released', async () => {
    const { opts, events } = recorded(320, 240); // 230 KB a frame: the pipe cannot hold even one
    const gate = new FlowGate();
    const frames: Frame[] = [];
    let completed = false;
    // The watchdog runs from 'started' to the first frame too: 3 s leaves a loaded machine time for that.
    const sub = captureCamera(camera({ kind: 'file', path: testVideo.path }, { watchdogSeconds: 3 }), { ...opts, gate }).subscribe({
      next: (f) => {
        if (frames.push(f) === 1) gate.hold('cam1');
      },
      complete: () => (completed = true),
    });
    try {
      await until(() => frames.length >= 1, slowStartMs, 'the first frame');
      await new Promise((r) => setTimeout(r, 3500)); // past the watchdog
      const whileHeld = frames.length;
      gate.release('cam1');
      await until(() => completed, slowStartMs, 'the end of the file');
      expect(whileHeld).toBeLessThan(5);
      expect(frames.map((f) => f.seq)).toEqual([...Array(testVideo.frames).keys()]);
      expect(events.map((e) => e.type)).toEqual(['started', 'ended']);
    } finally {
      sub.unsubscribe();
    }
  });

  it('should report a pipeline error and retry with growing delays, never completing', async () => {
    const { opts, events } = recorded(32, 24);
    let completed = false;
    const sub = captureCamera(camera({ kind: 'file', path: '/nonexistent/line1.mp4' }), opts).subscribe({ complete: () => (completed = true) });
    try {
      await until(() => events.filter((e) => e.type === 'restarting').length === 3, slowStartMs, 'three restarts');
      const error = events.find((e) => e.type === 'error');
      expect(error).toMatchObject({ type: 'error', camera: 'cam1', message: expect.stringMatching(/^Resource not found.*; source \/nonexistent\/line1\.mp4$/) });
      expect(events).toContainEqual({ type: 'exited', camera: 'cam1', code: 1, signal: null });
      expect(events.filter((e) => e.type === 'restarting').map((e) => (e as { delayMs: number }).delayMs)).toEqual([50, 100, 200]);
      expect(completed).toBe(false);
    } finally {
      sub.unsubscribe();
    }
  });
});
