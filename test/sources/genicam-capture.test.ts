/**
 * GenICam cameras through the capture path the service runs (captureCamera → genicam_child.py → Aravis), against
 * Aravis's simulated GigE camera on a veth link (test/support/fake-gige.ts). What the fake camera sends is known
 * (arvfakecamera.c, 0.8.26): pixel (x, y) of frame f is the ramp (x + y + f) mod 255 times 1 + gain +
 * log10(exposure µs / 10000) — 1 at exposure 10000 µs and gain 0 — as grey in Mono8, as the jet colour map's entry
 * in RGB8 and the Bayer formats; `f` is the frame's GigE block id, one more for every frame the camera sends.
 */
import { Subject, type Subscription } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loggerFrom } from '../../src/log.js';
import { captureCamera, type CaptureCamera } from '../../src/sources/capture.js';
import type { CameraEvent } from '../../src/sources/events.js';
import { defaultGenicam, type GenicamSettings } from '../../src/sources/genicam.js';
import type { Frame, PartTrigger } from '../../src/types.js';
import { skipReason, startFakeGige, type FakeGige } from '../support/fake-gige.js';

const skip = skipReason();

interface Run {
  readonly frames: Frame[];
  readonly events: CameraEvent[];
  readonly logs: { level: string; msg: string; fields?: Record<string, unknown> }[];
  readonly triggers: Subject<PartTrigger>;
  readonly sub: Subscription;
  started(): number;
}

/** Known output of the fake camera: exposure 10000 µs and gain 0 keep its ramp unscaled. */
const unscaled = { exposureUs: 10_000, gain: 0 };

function capture(fake: FakeGige, settings: Partial<GenicamSettings>, size = 64, watchdogSeconds = 5): Run {
  const frames: Frame[] = [];
  const events: CameraEvent[] = [];
  const logs: Run['logs'] = [];
  const triggers = new Subject<PartTrigger>();
  const camera: CaptureCamera = {
    id: 'gige',
    line: 'line1',
    product: 'bolt',
    spec: { kind: 'genicam', camera: fake.id },
    loop: false,
    watchdogSeconds,
    genicam: { ...defaultGenicam, ...settings },
  };
  const sub = captureCamera(camera, {
    width: size,
    height: size,
    logger: loggerFrom((level, msg, fields) => logs.push({ level, msg, fields })),
    onEvent: (e) => events.push(e),
    triggers,
    restart: { initialMs: 200, maxMs: 1000, factor: 2 },
  }).subscribe((f) => frames.push(f));
  return { frames, events, logs, triggers, sub, started: () => events.filter((e) => e.type === 'started').length };
}

const waitFor = (condition: () => boolean, timeout: number, what: () => string) =>
  vi.waitUntil(condition, { timeout, interval: 20 }).catch(() => {
    throw new Error(`timed out after ${timeout} ms waiting for ${what()}`);
  });

const types = (events: readonly CameraEvent[]) => events.map((e) => e.type);
const pixel = (f: Frame, x: number, y: number) => [...f.pixels.subarray((y * f.width + x) * 3, (y * f.width + x) * 3 + 3)];
const misses = (events: readonly CameraEvent[]) => events.flatMap((e) => (e.type === 'trigger-missed' ? [e] : []));

/** Fires `n` triggers `gapMs` apart, `p1` … `pn`. */
async function fire(run: Run, n: number, gapMs: number, from = 1): Promise<void> {
  for (let i = from; i < from + n; i++) {
    run.triggers.next({ partId: `p${i}`, at: Date.now() });
    await new Promise((r) => setTimeout(r, gapMs));
  }
}

describe.skipIf(skip !== undefined)(`GenICam capture against arv-fake-gv-camera-0.8${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let fake: FakeGige;
  beforeAll(async () => {
    fake = await startFakeGige();
  }, 30_000);
  afterAll(async () => fake?.stop());

  it('should set the configured features, read each back, and deliver the camera region as RGB frames', async () => {
    const run = capture(fake, { ...unscaled, pixelFormat: 'Mono8', roi: { x: 0, y: 0, width: 64, height: 64 }, frameRate: 20, features: { TestBoolean: true } });
    try {
      await waitFor(() => run.frames.length >= 5, 15_000, () => `5 frames; events ${JSON.stringify(run.events)}`);
    } finally {
      run.sub.unsubscribe();
    }
    const opened = run.logs.find((l) => l.msg === 'genicam camera opened, settings read back');
    expect(opened?.fields).toMatchObject({ camera: 'gige', source: `genicam://${fake.id}`, device: { vendor: 'Aravis', model: 'Fake', serial: fake.serial, protocol: 'GigE Vision' } });
    expect(opened?.fields?.['settings']).toEqual([
      { feature: 'PixelFormat', value: 'Mono8', readBack: 'Mono8' },
      { feature: 'region (OffsetX,OffsetY WidthxHeight)', value: '0,0 64x64', readBack: '0,0 64x64' },
      { feature: 'frame rate', value: '20', readBack: '20.0' },
      { feature: 'exposure (µs)', value: '10000', readBack: '10000.0' },
      { feature: 'gain', value: '0', readBack: '0.0' },
      { feature: 'TriggerSelector', value: 'FrameStart', readBack: 'FrameStart' },
      { feature: 'TriggerMode', value: 'Off', readBack: 'Off' },
      { feature: 'TestBoolean', value: 'true', readBack: 'true' },
    ]);
    // the region is the model's size: every pixel of the ramp arrives exactly, grey in all three channels
    for (const frame of run.frames) {
      expect([frame.width, frame.height, frame.trigger]).toEqual([64, 64, undefined]);
      const base = frame.pixels[0]!;
      const wrong = [];
      for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) if (pixel(frame, x, y).some((v) => v !== (base + x + y) % 255)) wrong.push([x, y, pixel(frame, x, y)]);
      expect(wrong.slice(0, 5)).toEqual([]);
    }
    expect(types(run.events)).toEqual(['started']);
  });

  it("should demosaic a Bayer mosaic into the colours the camera sends as RGB8", async () => {
    // Two frames of the whole 512x512 sensor: RGB8 is the reference (the jet colours themselves), then BayerGR8.
    // (The fake's BayerBG8 and BayerRG8 mosaics are laid out as each other, against their names; GR and GB are right.)
    const grab = async (pixelFormat: 'RGB8' | 'BayerGR8', size = 512) => {
      const run = capture(fake, { ...unscaled, pixelFormat, roi: { x: 0, y: 0, width: 512, height: 512 }, frameRate: 10 }, size);
      try {
        await waitFor(() => run.frames.length >= 1, 15_000, () => `a ${pixelFormat} frame; events ${JSON.stringify(run.events)}`);
      } finally {
        run.sub.unsubscribe();
      }
      return run.frames[0]!;
    };
    const reference = await grab('RGB8');
    const bayer = await grab('BayerGR8');
    // jet[(i + f0) mod 255] along the reference's first row; the Bayer frame's ramp is that shifted by some d
    const jet = Array.from({ length: 255 }, (_, i) => pixel(reference, i, 0));
    const error = (d: number, swap: boolean) => {
      let sum = 0;
      let n = 0;
      // inside the borders, where bayer2rgb interpolates from all four neighbours
      for (let y = 2; y < 510; y += 3)
        for (let x = 2; x < 510; x += 3) {
          const want = jet[(x + y + d) % 255]!;
          const got = pixel(bayer, x, y);
          const [r, g, b] = swap ? [got[2]!, got[1]!, got[0]!] : got;
          sum += Math.abs(r! - want[0]!) + Math.abs(g! - want[1]!) + Math.abs(b! - want[2]!);
          n += 3;
        }
      return sum / n;
    };
    const shifts = Array.from({ length: 255 }, (_, d) => d);
    const best = Math.min(...shifts.map((d) => error(d, false)));
    const swapped = Math.min(...shifts.map((d) => error(d, true)));
    console.log(`Bayer GR8 → RGB: mean error ${best.toFixed(2)} per channel against the camera's RGB8 colours; with red and blue swapped ${swapped.toFixed(2)}`);
    // bilinear demosaicing of a ramp that changes colour every pixel: a few levels off, never a wrong colour
    expect(best).toBeLessThan(8);
    expect(swapped).toBeGreaterThan(10 * best);
    // scaled to the model's size, the pixels are still jet colours, each with a channel at 128 or more; only where
    // the ramp wraps from dark red to dark blue can demosaicing that sharp edge give a dark pixel (bayer2rgb's output
    // letterboxed came out all black when the caps said no pixel aspect ratio)
    const scaled = await grab('BayerGR8', 64);
    const dark = Array.from({ length: 64 * 64 }, (_, i) => i).filter((i) => Math.max(...scaled.pixels.subarray(i * 3, i * 3 + 3)) < 50);
    expect(dark.length).toBeLessThan((64 * 64) / 50);
  });

  it('should report a feature the camera refuses, naming the feature, the value and why, and retry', async () => {
    for (const [settings, text] of [
      [{ features: { NoSuchFeature: 1 } }, 'refuses NoSuchFeature = 1: the camera has no such feature'],
      [{ exposureUs: 100_000_000 }, "refuses exposure (µs) = 100000000: [ExposureTimeAbs] Value '1e+08' greater than allowed maximum '1e+07'"],
      [{ trigger: { mode: 'hardware', source: 'Line7', timeoutMs: 1000 } }, "refuses TriggerSource = Line7: [TriggerSource] 'Line7' not an entry"],
    ] as const) {
      const run = capture(fake, settings as Partial<GenicamSettings>);
      try {
        await waitFor(() => run.events.filter((e) => e.type === 'restarting').length >= 2, 20_000, () => `two restarts; events ${JSON.stringify(run.events)}`);
      } finally {
        run.sub.unsubscribe();
      }
      const errors = run.events.flatMap((e) => (e.type === 'error' ? [e] : []));
      expect(errors[0]).toMatchObject({ camera: 'gige', code: 'GENICAM_FEATURE', message: expect.stringContaining(`camera gige: the GenICam camera ${text}`) });
      expect(errors[0]?.message).toContain(`source genicam://${fake.id}`);
      expect(types(run.events).slice(0, 4)).toEqual(['error', 'exited', 'restarting', 'error']);
      expect(run.frames).toEqual([]);
      expect(run.logs.find((l) => l.msg === 'camera pipeline error')?.fields).toMatchObject({ code: 'GENICAM_FEATURE' });
    }
  });

  describe('software trigger', () => {
    const triggered = { ...unscaled, pixelFormat: 'Mono8', roi: { x: 0, y: 0, width: 64, height: 64 }, trigger: { mode: 'software', timeoutMs: 1000 } } as const;

    it('should answer N triggers with exactly N frames, each carrying its trigger, and none in between', async () => {
      const run = capture(fake, triggered, 64, 2);
      try {
        await waitFor(() => run.started() === 1, 15_000, () => `the start; events ${JSON.stringify(run.events)}`);
        // nothing comes untriggered, and the watchdog waits for no frame while no trigger is owed
        await new Promise((r) => setTimeout(r, 2500));
        expect(run.frames).toEqual([]);
        await fire(run, 12, 120);
        await waitFor(() => run.frames.length >= 12, 10_000, () => `12 frames, got ${run.frames.length}; events ${JSON.stringify(run.events)}`);
        await new Promise((r) => setTimeout(r, 1500));
      } finally {
        run.sub.unsubscribe();
      }
      expect(run.frames.map((f) => f.trigger?.partId)).toEqual(Array.from({ length: 12 }, (_, i) => `p${i + 1}`));
      // one camera frame a trigger: the ramp moves on by exactly one frame from each to the next
      const base = run.frames[0]!.pixels[0]!;
      expect(run.frames.map((f) => f.pixels[0])).toEqual(run.frames.map((_, i) => (base + i) % 255));
      expect(run.events, JSON.stringify(run.events)).toEqual([expect.objectContaining({ type: 'started' })]);
    });

    it('should miss, and say so, triggers the camera cannot answer: faster than it takes them, while it is frozen, and when it is gone', async () => {
      const run = capture(fake, triggered, 64, 30);
      try {
        await waitFor(() => run.started() === 1, 15_000, () => `the start; events ${JSON.stringify(run.events)}`);
        // three at once: the fake camera latches TriggerSoftware in one register and polls it at 25 Hz
        await fire(run, 3, 0);
        await waitFor(() => run.frames.length + misses(run.events).length >= 3, 5_000, () => `3 outcomes; events ${JSON.stringify(run.events)}`);

        // frozen: no frame within the timeout
        process.kill(fake.pid(), 'SIGSTOP');
        try {
          await fire(run, 1, 0, 4);
          await waitFor(() => misses(run.events).some((m) => m.partId === 'p4'), 5_000, () => `p4 missed; events ${JSON.stringify(run.events)}`);
        } finally {
          process.kill(fake.pid(), 'SIGCONT');
        }
      } finally {
        run.sub.unsubscribe();
      }
      const outcome = (partId: string) => [...run.frames.filter((f) => f.trigger?.partId === partId).map(() => 'frame'), ...misses(run.events).filter((m) => m.partId === partId).map((m) => m.reason)];
      console.log(`burst of 3: ${['p1', 'p2', 'p3'].map((p) => `${p} ${outcome(p).join('+')}`).join(', ')}; frozen: p4 ${outcome('p4').join('+')}`);
      // every trigger exactly one outcome; the first of the burst got the camera's frame
      for (const p of ['p1', 'p2', 'p3', 'p4']) expect(outcome(p)).toHaveLength(1);
      expect(outcome('p1')).toEqual(['frame']);
      expect([...outcome('p2'), ...outcome('p3')].every((o) => ['frame', 'timeout', 'resync'].includes(o))).toBe(true);
      // the trigger command itself may time out first (no GVCP acknowledge from a frozen camera)
      expect([['timeout'], ['failed']]).toContainEqual(outcome('p4'));
      expect(misses(run.events)[0]).toMatchObject({ camera: 'gige', at: expect.any(Number) });
    });

    it('should match frames to their triggers through packet loss: a broken frame misses its own trigger, no other', async () => {
      const lossy = await startFakeGige({ lossPerThousand: 60 });
      const run = capture(lossy, triggered, 64, 30);
      const n = 30;
      try {
        await waitFor(() => run.started() === 1, 15_000, () => `the start; events ${JSON.stringify(run.events)}`);
        await fire(run, n, 120);
        await waitFor(() => run.frames.length + misses(run.events).length >= n, 10_000, () => `${n} outcomes; events ${JSON.stringify(run.events)}`);
        await new Promise((r) => setTimeout(r, 1500));
      } finally {
        run.sub.unsubscribe();
        await lossy.stop();
      }
      const missed = misses(run.events);
      console.log(`packet loss 6%: ${run.frames.length} frames, ${missed.length} missed (${missed.map((m) => `${m.partId} ${m.reason}`).join(', ')}) of ${n} triggers`);
      expect(run.frames.length + missed.length).toBe(n);
      expect(new Set([...run.frames.map((f) => f.trigger!.partId), ...missed.map((m) => m.partId)]).size).toBe(n);
      // each trigger made one camera frame, whole or broken: trigger k's frame is the first's plus k - 1
      const index = (f: Frame) => Number(f.trigger!.partId.slice(1));
      const first = run.frames[0]!;
      for (const f of run.frames) expect([f.trigger!.partId, f.pixels[0]]).toEqual([f.trigger!.partId, (first.pixels[0]! + index(f) - index(first)) % 255]);
      expect(missed.length).toBeGreaterThan(0);
      // a broken frame is seen when it ends, or when the next one begins (its leader lost): only the last trigger's
      // can have no next one, and then its timeout says it
      const why = (m: (typeof missed)[number]) => (m.reason === 'timeout' && m.partId === `p${n}` ? 'incomplete' : m.reason);
      expect(missed.map(why), JSON.stringify(missed)).toEqual(missed.map(() => 'incomplete'));
      expect(types(run.events)).toContain('frames-incomplete');
    });

    it('should restart a camera that is gone, report the triggers it owed, and answer triggers again once it is back', async () => {
      const run = capture(fake, triggered, 64, 30);
      try {
        await waitFor(() => run.started() === 1, 15_000, () => `the start; events ${JSON.stringify(run.events)}`);
        await fire(run, 2, 150);
        await waitFor(() => run.frames.length >= 2, 5_000, () => `2 frames; events ${JSON.stringify(run.events)}`);
        const killedAt = Date.now();
        await fake.kill();
        await fire(run, 1, 0, 3);
        await waitFor(() => run.events.some((e) => e.type === 'restarting'), 20_000, () => `a restart; events ${JSON.stringify(run.events)}`);
        const lostMs = Date.now() - killedAt;
        await fake.start();
        await waitFor(() => run.started() >= 2, 30_000, () => `a second start; events ${JSON.stringify(run.events)}`);
        await fire(run, 2, 150, 4);
        await waitFor(() => run.frames.length >= 4, 5_000, () => `4 frames; events ${JSON.stringify(run.events)}`);
        console.log(`camera killed: its loss seen after ${lostMs} ms; events ${types(run.events).join(', ')}`);
      } finally {
        run.sub.unsubscribe();
      }
      expect(run.frames.map((f) => f.trigger?.partId)).toEqual(['p1', 'p2', 'p4', 'p5']);
      expect(misses(run.events).map((m) => m.partId)).toEqual(['p3']);
      const errors = run.events.filter((e) => e.type === 'error');
      expect(errors[0]).toMatchObject({ message: expect.stringContaining(`lost the connection to GenICam camera "${fake.id}"`) });
      expect(types(run.events)).toContain('exited');
    });
  });

  it('should wait without a watchdog restart for hardware triggers (the fake camera cannot be pulsed)', async () => {
    const run = capture(fake, { pixelFormat: 'Mono8', trigger: { mode: 'hardware', source: 'Line0', activation: 'RisingEdge', timeoutMs: 1000 } }, 64, 1);
    try {
      await waitFor(() => run.started() === 1, 15_000, () => `the start; events ${JSON.stringify(run.events)}`);
      await new Promise((r) => setTimeout(r, 3000));
      run.triggers.next({ partId: 'p1', at: 1 });
    } finally {
      run.sub.unsubscribe();
    }
    const settings = run.logs.find((l) => l.msg === 'genicam camera opened, settings read back')?.fields?.['settings'];
    expect(settings).toContainEqual({ feature: 'TriggerSource', value: 'Line0', readBack: 'Line0' });
    expect(settings).toContainEqual({ feature: 'TriggerActivation', value: 'RisingEdge', readBack: 'RisingEdge' });
    expect(run.frames).toEqual([]);
    expect(run.events).toEqual([
      { type: 'started', camera: 'gige', pid: expect.any(Number) },
      { type: 'trigger-missed', camera: 'gige', partId: 'p1', at: 1, reason: 'not-software-triggered' },
    ]);
  });
});
