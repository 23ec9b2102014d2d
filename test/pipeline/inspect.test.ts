import { firstValueFrom, from, interval, map, Observable, Subject, take, tap, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceEngine } from '../../src/pipeline/engine.js';
import { inspect, type InspectOptions } from '../../src/pipeline/inspect.js';
import { thresholdFor } from '../../src/pipeline/threshold.js';
import type { Decision, Frame } from '../../src/types.js';
import { tinyModels } from '../setup/tiny-model.js';
import { makeFrame } from './frames.js';

const cameras: Record<string, { threshold?: number }> = { strict: { threshold: 0.3 } };

function options(engine: InferenceEngine, overrides: Partial<InspectOptions> = {}): InspectOptions {
  return {
    batchMaxSize: 4,
    batchMaxWaitMs: 5,
    deadlineMs: 10_000,
    failSafe: 'reject',
    thresholdFor: (f: Frame) => thresholdFor(cameras[f.camera] ?? {}, f.product, engine.sidecar),
    runId: 'r1',
    maxQueuedPerCamera: 100,
    ...overrides,
  };
}

const collect = (frames$: Observable<Frame>, engine: InferenceEngine, o: InspectOptions) => firstValueFrom(frames$.pipe(inspect(engine, o), toArray()));

/** The invariant: every frame in yields exactly one decision out, for that frame. */
function expectOneDecisionPerFrame(frames: readonly Frame[], decisions: readonly Decision[]): void {
  const key = (f: Frame) => `${f.camera}:r1:${f.seq}`;
  expect(decisions.map((d) => d.verdict.id).sort()).toEqual(frames.map(key).sort());
  for (const d of decisions) expect(d.verdict.id).toBe(key(d.frame));
}

const reasons = (decisions: readonly Decision[]) =>
  decisions.reduce<Record<string, number>>((acc, d) => ({ ...acc, [d.verdict.reason]: (acc[d.verdict.reason] ?? 0) + 1 }), {});

describe('inspect', () => {
  let tiny: InferenceEngine;
  let slow: InferenceEngine;
  beforeAll(async () => {
    const open = (modelPath: string) => InferenceEngine.open({ modelPath, providers: ['cpu'], threads: 1 });
    [tiny, slow] = await Promise.all([open(tinyModels.ok), open(tinyModels.slow)]);
  });
  afterAll(() => Promise.all([tiny.close(), slow.close()]));

  it('stamps each decision with when its batch was complete, when its run started and ended, and when it was decided', async () => {
    const frames = Array.from({ length: 6 }, (_, seq) => makeFrame({ seq }));
    const decisions = await collect(from(frames), tiny, options(tiny, { batchMaxSize: 4 }));
    expectOneDecisionPerFrame(frames, decisions);
    for (const d of decisions) {
      const run = d.inference?.run;
      const times = d.times;
      expect(run && times).toBeTruthy();
      // capturedAt has whole milliseconds; the precise clock may read up to 1 ms below it in the same millisecond.
      expect(times!.batchedAt).toBeGreaterThan(d.frame.capturedAt - 1);
      expect(run!.startedAt).toBeGreaterThanOrEqual(times!.batchedAt);
      expect(run!.endedAt).toBeGreaterThanOrEqual(run!.startedAt);
      expect(times!.decidedAt).toBeGreaterThanOrEqual(run!.endedAt);
    }
    expect(decisions.map((d) => d.inference!.run!.batchSize).sort()).toEqual([2, 2, 4, 4, 4, 4]);
  });

  it('decides every frame with the threshold of its camera or product class', async () => {
    const yellow = [[5, 5, [255, 255, 128]]] as const; // score (1 + 1 + 1/255) / 3 ≈ 0.668
    const red = [[5, 5, [255, 128, 128]]] as const; //    score ≈ 0.336
    const cases: Array<[Frame, boolean]> = [];
    for (let seq = 0; seq < 5; seq++) {
      cases.push([makeFrame({ camera: 'b', product: 'bolt', seq }), false]); // ≈ 0.004 < 0.5
      cases.push([makeFrame({ camera: 'b2', product: 'bolt', seq, spots: yellow }), true]); // ≥ bolt 0.5
      cases.push([makeFrame({ camera: 'n', product: 'nut', seq, spots: yellow }), false]); // < nut 0.7
      cases.push([makeFrame({ camera: 'n2', product: 'nut', seq, spots: [[0, 0, [0, 0, 0]]] }), true]); // 1.0
      cases.push([makeFrame({ camera: 'w', product: 'washer', seq, spots: yellow }), true]); // ≥ default 0.6
      cases.push([makeFrame({ camera: 'strict', product: 'nut', seq, spots: red }), true]); // ≥ camera 0.3
    }
    const frames = cases.map(([f]) => f);
    const decisions = await collect(from(frames), tiny, options(tiny));
    expectOneDecisionPerFrame(frames, decisions);
    for (const d of decisions) {
      const expected = cases.find(([f]) => f === d.frame)![1];
      expect([d.frame.camera, d.verdict.reject, d.verdict.reason]).toEqual([d.frame.camera, expected, expected ? 'anomaly' : 'ok']);
      expect(d.verdict.model).toBe('tiny@1.0.0');
      expect(d.inference?.anomalyMap).toHaveLength(64 * 64);
    }
  });

  it('gives a frame of the wrong size an error verdict alone, without spoiling its batch', async () => {
    const frames = [makeFrame({ seq: 0 }), makeFrame({ seq: 1, size: 32 }), makeFrame({ seq: 2 })];
    const decisions = await collect(from(frames), tiny, options(tiny, { failSafe: 'pass' }));
    expectOneDecisionPerFrame(frames, decisions);
    expect(decisions.map((d) => [d.frame.seq, d.verdict.reason, d.verdict.reject]).sort()).toEqual([
      [0, 'ok', false],
      [1, 'error', false],
      [2, 'ok', false],
    ]);
  });

  it('under overload gives the frames the queue cannot hold deadline verdicts, and loses none', async () => {
    const frames = Array.from({ length: 60 }, (_, seq) => makeFrame({ seq }));
    const decisions = await collect(from(frames), slow, options(slow, { maxQueuedPerCamera: 12 }));
    expectOneDecisionPerFrame(frames, decisions);
    // 4 frames go to the worker, 12 wait, the 44 oldest of the rest cannot be queued.
    expect(reasons(decisions)).toEqual({ deadline: 44, ok: 16 });
    expect(decisions.filter((d) => d.verdict.reason === 'deadline').every((d) => d.verdict.reject && d.verdict.score === null)).toBe(true);
  });

  it('honours each camera\'s overload policy: keep-latest waits with its newest frame only, drop-oldest with its newest N', async () => {
    const frames = Array.from({ length: 20 }, (_, seq) => [makeFrame({ camera: 'd', seq }), makeFrame({ camera: 'k', seq })]).flat();
    const overloadFor = (camera: string) => (camera === 'k' ? 'keep-latest' : 'drop-oldest');
    const decisions = await collect(from(frames), slow, options(slow, { maxQueuedPerCamera: 6, overloadFor }));
    expectOneDecisionPerFrame(frames, decisions);
    const scored = (camera: string) => decisions.filter((d) => d.frame.camera === camera && d.verdict.reason === 'ok').map((d) => d.frame.seq);
    // The first batch (d0 k0 d1 k1) finds the engine idle; while it runs everything else waits and is shed.
    expect(scored('d')).toEqual([0, 1, 14, 15, 16, 17, 18, 19]);
    expect(scored('k')).toEqual([0, 1, 19]);
    expect(reasons(decisions)).toEqual({ ok: 11, deadline: 29 });
  });

  it('reports the frames waiting per camera after every change, ending with none', async () => {
    const frames = Array.from({ length: 20 }, (_, seq) => [makeFrame({ camera: 'a', seq }), makeFrame({ camera: 'b', seq })]).flat();
    const seen: Array<Record<string, number>> = [];
    const decisions = await collect(from(frames), slow, options(slow, { onBacklog: (w) => seen.push(Object.fromEntries(w)) }));
    expectOneDecisionPerFrame(frames, decisions);
    expect(seen.map((w) => w['a'] ?? 0).reduce((a, b) => Math.max(a, b), 0)).toBe(18); // all but the first batch's two
    expect(seen.at(-1)).toEqual({});
  });

  it('gives a waiting frame its deadline verdict when the deadline passes, not when the busy worker frees', async () => {
    const first = Array.from({ length: 32 }, (_, seq) => makeFrame({ camera: 'a', seq })); // ~320 ms on the slow model here
    const late = Array.from({ length: 4 }, (_, seq) => makeFrame({ camera: 'b', seq }));
    const frames$ = new Observable<Frame>((s) => {
      first.forEach((f) => s.next(f));
      const t = setTimeout(() => {
        late.forEach((f) => s.next({ ...f, capturedAt: Date.now() }));
        s.complete();
      }, 5);
      return () => clearTimeout(t);
    });
    const decisions = await collect(frames$, slow, options(slow, { batchMaxSize: 32, batchMaxWaitMs: 1, deadlineMs: 30 }));
    expectOneDecisionPerFrame([...first, ...late], decisions);
    expect(decisions.slice(0, 4).map((d) => [d.frame.camera, d.verdict.reason])).toEqual(late.map(() => ['b', 'deadline']));
    expect(reasons(decisions.slice(4))).toEqual({ ok: 32 });
  });

  it('keeps one decision per frame with frames arriving faster than the model, deadlines expiring in the queue', async () => {
    const n = 60;
    const frames$ = interval(2).pipe(
      take(n),
      map((seq) => makeFrame({ seq })),
    );
    const decisions = await collect(frames$, slow, options(slow, { batchMaxSize: 4, deadlineMs: 60 }));
    expect(decisions).toHaveLength(n);
    expect(new Set(decisions.map((d) => d.verdict.id)).size).toBe(n);
    const counted = reasons(decisions);
    expect(counted['deadline']).toBeGreaterThan(0);
    expect(counted['ok']).toBeGreaterThan(0);
    expect((counted['deadline'] ?? 0) + (counted['ok'] ?? 0)).toBe(n);
  });

  it('gives the frames of failed runs error verdicts when the worker dies mid-stream', async () => {
    const engine = await InferenceEngine.open({ modelPath: tinyModels.slow, providers: ['cpu'], threads: 1 });
    const frames = Array.from({ length: 12 }, (_, seq) => makeFrame({ seq }));
    let killed = false;
    const decisions = await firstValueFrom(
      from(frames).pipe(
        inspect(engine, options(engine)),
        tap(() => {
          if (!killed) void engine.terminate();
          killed = true;
        }),
        toArray(),
      ),
    );
    expectOneDecisionPerFrame(frames, decisions);
    expect(reasons(decisions)).toEqual({ ok: 4, error: 8 });
    expect(decisions.filter((d) => d.verdict.reason === 'error').every((d) => d.verdict.reject && d.inference === undefined)).toBe(true);
  });

  it('decides what the source delivered before it failed, then passes the error on', async () => {
    const src = new Subject<Frame>();
    const seen: Decision[] = [];
    const done = new Promise<unknown>((resolve) => src.pipe(inspect(tiny, options(tiny, { batchMaxSize: 10, batchMaxWaitMs: 1000 }))).subscribe({ next: (d) => seen.push(d), error: resolve }));
    const frames = [0, 1, 2].map((seq) => makeFrame({ seq }));
    frames.forEach((f) => src.next(f));
    src.error(new Error('camera process died'));
    expect(await done).toMatchObject({ message: 'camera process died' });
    expectOneDecisionPerFrame(frames, seen);
  });

  it('gives a frame already past its deadline when its batch would start a deadline verdict instead of a score', async () => {
    const frames = [makeFrame({ seq: 0, capturedAt: Date.now() - 20_000 }), makeFrame({ seq: 1 })];
    const decisions = await collect(from(frames), tiny, options(tiny));
    expectOneDecisionPerFrame(frames, decisions);
    expect(decisions.map((d) => [d.frame.seq, d.verdict.reason])).toEqual([
      [0, 'deadline'],
      [1, 'ok'],
    ]);
  });

  describe('when the wall clock steps (NTP on a box without an RTC battery)', () => {
    /** The tiny engine, but the first run is held until `release()`: the frames behind it wait in the queue. */
    const held = () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let first = true;
      const scorer = {
        modelId: tiny.modelId,
        sidecar: tiny.sidecar,
        run: async (frames: readonly Frame[]) => {
          if (first) {
            first = false;
            await gate;
          }
          return tiny.run(frames);
        },
      };
      return { scorer, release };
    };

    /** Three frames in, one at a time, the first run held; then the wall clock steps by `stepMs`. */
    const stepped = (deadlineMs: number, stepMs: number) => {
      const { scorer, release } = held();
      let wall = Date.now();
      const src = new Subject<Frame>();
      const seen: Decision[] = [];
      src.pipe(inspect(scorer, options(tiny, { batchMaxSize: 1, batchMaxWaitMs: 0, deadlineMs, now: () => wall }))).subscribe((d) => seen.push(d));
      [0, 1, 2].forEach((seq) => src.next(makeFrame({ seq, capturedAt: wall })));
      wall += stepMs;
      return { seen, release, done: () => src.complete() };
    };

    it('gives waiting frames their deadline verdicts at their deadline after a step back of an hour, not an hour later', async () => {
      const { seen, release, done } = stepped(300, -3_600_000);
      await expect.poll(() => seen.length, { timeout: 5000, interval: 20 }).toBe(2);
      expect(seen.map((d) => [d.frame.seq, d.verdict.reason])).toEqual([
        [1, 'deadline'],
        [2, 'deadline'],
      ]);
      release();
      await expect.poll(() => seen.length, { timeout: 5000, interval: 20 }).toBe(3);
      done();
    });

    it('does not expire frames in time after a step ahead of an hour', async () => {
      const { seen, release, done } = stepped(10_000, 3_600_000);
      release();
      await expect.poll(() => seen.length, { timeout: 5000, interval: 20 }).toBe(3);
      expect(seen.map((d) => d.verdict.reason)).toEqual(['ok', 'ok', 'ok']);
      done();
    });
  });

  it('stops cleanly when the consumer unsubscribes early, leaving the engine usable', async () => {
    const frames = Array.from({ length: 20 }, (_, seq) => makeFrame({ seq }));
    const decisions = await firstValueFrom(from(frames).pipe(inspect(tiny, options(tiny)), take(2), toArray()));
    expect(decisions.map((d) => d.frame.seq)).toEqual([0, 1]);
    expect(await tiny.run([makeFrame()])).toHaveLength(1);
  });

  it('gives an error verdict with the fail-safe decision to every frame whose score or map is not finite, never ok', async () => {
    const open = (modelPath: string) => InferenceEngine.open({ modelPath, providers: ['cpu'], threads: 1 });
    const [nan, nanMap, nanDark] = await Promise.all([open(tinyModels.nan), open(tinyModels.nanMap), open(tinyModels.nanDark)]);
    try {
      const frames = Array.from({ length: 6 }, (_, seq) => makeFrame({ seq }));
      for (const [engine, failSafe] of [[nan, 'reject'], [nanMap, 'pass']] as const) {
        const scored: (string | undefined)[] = [];
        const decisions = await collect(from(frames), engine, options(engine, { failSafe, onScored: (_f, bad) => scored.push(bad) }));
        expectOneDecisionPerFrame(frames, decisions);
        expect(decisions.map((d) => [d.verdict.reason, d.verdict.reject, d.verdict.score])).toEqual(frames.map(() => ['error', failSafe === 'reject', null]));
        expect(decisions.every((d) => d.inference === undefined)).toBe(true); // no heatmap of garbage
        expect(scored).toHaveLength(6);
        expect(scored[0]).toBe(engine === nan ? `score is NaN, anomaly map: ${64 * 64} of ${64 * 64} values not finite` : `anomaly map: 1 of ${64 * 64} values not finite`);
      }
      // input-dependent: a dark frame is garbage, a grey one in the same batch is scored
      const mixed = [makeFrame({ seq: 0, fill: 20 }), makeFrame({ seq: 1, fill: 128 }), makeFrame({ seq: 2, fill: 10 })];
      const decisions = await collect(from(mixed), nanDark, options(nanDark, { batchMaxSize: 3, batchMaxWaitMs: 1000 }));
      expectOneDecisionPerFrame(mixed, decisions);
      expect(decisions.map((d) => [d.frame.seq, d.verdict.reason])).toEqual([
        [0, 'error'],
        [1, 'ok'],
        [2, 'error'],
      ]);
    } finally {
      await Promise.all([nan.close(), nanMap.close(), nanDark.close()]);
    }
  });

  it('completes at once for a source with no frames', async () => {
    expect(await collect(from([]), tiny, options(tiny))).toEqual([]);
  });
});
