/**
 * inspect with frames of regions and tiles, on the real tiny model: a frame's tiles are one unit — batched within
 * `batchMaxSize` inputs, split across runs when they must be, never half decided, shed or expired whole.
 */
import { firstValueFrom, from, interval, map, take, tap, toArray, type Observable } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceEngine } from '../../src/pipeline/engine.js';
import { inspect, type InspectOptions, type Scorer } from '../../src/pipeline/inspect.js';
import { thresholdFor } from '../../src/pipeline/threshold.js';
import type { Decision, Frame } from '../../src/types.js';
import { tinyModels } from '../setup/tiny-model.js';
import { layouts, regionFrame } from '../tiles/frames.js';
import { makeFrame } from './frames.js';

/** 160 x 100 at scale 1: tiles of 64 overlapping by at least 16, at x 0, 48, 96 and y 0, 36: six. */
const belt = layouts([{ name: 'belt', x: 0, y: 0, width: 160, height: 100, tiles: { scale: 1, overlap: 16 } }]);

function options(engine: Scorer, overrides: Partial<InspectOptions> = {}): InspectOptions {
  return {
    batchMaxSize: 4,
    batchMaxWaitMs: 5,
    deadlineMs: 10_000,
    failSafe: 'reject',
    thresholdFor: (f, _m, region) => region?.name === 'strict' ? 0.3 : thresholdFor({}, region?.product ?? f.product, engine.sidecar),
    runId: 'r1',
    maxQueuedPerCamera: 100,
    ...overrides,
  };
}

/** The engine, with each run's inputs recorded as `<camera>#<seq>` (the scoring is the engine's own). */
function recording(engine: InferenceEngine): Scorer & { runs: string[][] } {
  const runs: string[][] = [];
  return {
    runs,
    modelId: engine.modelId,
    sidecar: engine.sidecar,
    run: (frames) => {
      runs.push(frames.map((f) => `${f.camera}#${f.seq}`));
      return engine.run(frames);
    },
  };
}

const collect = (frames$: Observable<Frame>, scorer: Scorer, o: InspectOptions) => firstValueFrom(frames$.pipe(inspect(scorer, o), toArray()));
const ids = (decisions: readonly Decision[]) => decisions.map((d) => d.verdict.id).sort();
const idOf = (f: Frame) => `${f.camera}:r1:${f.seq}`;

describe('inspect, frames with regions and tiles', () => {
  let tiny: InferenceEngine;
  let slow: InferenceEngine;
  beforeAll(async () => {
    const open = (modelPath: string) => InferenceEngine.open({ modelPath, providers: ['cpu'], threads: 1 });
    [tiny, slow] = await Promise.all([open(tinyModels.ok), open(tinyModels.slow)]);
  });
  afterAll(() => Promise.all([tiny.close(), slow.close()]));

  it('should batch tiles within batchMaxSize, split a frame across runs, and decide it once, after its last tile', async () => {
    const scorer = recording(tiny);
    const frames = [0, 1, 2].map((seq) => regionFrame(belt, { seq, spots: seq === 1 ? [[0, 50, 40, [0, 0, 0]]] : [] }));
    const decided: string[] = [];
    const decisions = await firstValueFrom(from(frames).pipe(inspect(scorer, options(scorer)), tap((d) => decided.push(`${d.frame.seq}@${scorer.runs.length}`)), toArray()));
    expect(ids(decisions)).toEqual(frames.map(idOf).sort());
    expect(scorer.runs.map((r) => r.length)).toEqual([4, 4, 4, 4, 2]); // 18 tiles in runs of 4
    expect(scorer.runs.flat()).toEqual(frames.flatMap((f) => Array(6).fill(`cam1#${f.seq}`))); // in order, none twice
    expect(decided).toEqual(['0@2', '1@3', '2@5']); // each after the run with its last tile
    const hit = decisions.find((d) => d.frame.seq === 1)!;
    expect([hit.verdict.reject, hit.verdict.reason, hit.verdict.score]).toEqual([true, 'anomaly', 1]);
    expect(hit.verdict.regions).toEqual([{ name: 'belt', product: 'bolt', score: 1, threshold: 0.5, normalizedScore: 2, reject: true }]);
    // the stitched map is the region's, pixel for pixel: its maximum where the spot was
    const inf = hit.inference!;
    expect([inf.mapWidth, inf.mapHeight, inf.region, inf.regions?.length]).toEqual([160, 100, 0, 1]);
    expect(inf.anomalyMap.indexOf(1)).toBe(40 * 160 + 50);
    expect(decisions.filter((d) => d.frame.seq !== 1).every((d) => d.verdict.reason === 'ok')).toBe(true);
  });

  it('should find a spot on a tile border once, at its place, whichever tile sees it', async () => {
    // x 48..63 lies in the first two tiles, y 36..63 in both rows: (56, 50) is in four tiles.
    const frame = regionFrame(belt, { spots: [[0, 56, 50, [255, 255, 255]]] });
    const [d] = await collect(from([frame]), tiny, options(tiny));
    const hot = [...d!.inference!.anomalyMap.entries()].filter(([, v]) => v > 0.5).map(([i]) => [i % 160, Math.floor(i / 160)]);
    expect(hot).toEqual([[56, 50]]);
    expect(d!.verdict.score).toBe(1);
  });

  it('should share batches between tiled frames and plain frames of other cameras, fairly', async () => {
    const scorer = recording(tiny);
    const frames = [regionFrame(belt, { seq: 0 }), makeFrame({ camera: 'plain', seq: 0 }), makeFrame({ camera: 'plain', seq: 1 }), regionFrame(belt, { seq: 1 })];
    const decisions = await collect(from(frames), scorer, options(scorer, { batchMaxSize: 8, batchMaxWaitMs: 20 }));
    expect(ids(decisions)).toEqual(frames.map(idOf).sort());
    expect(scorer.runs.every((r) => r.length <= 8)).toBe(true);
    // turns: cam1#0 (6 inputs), plain#0 (1), then cam1#1, which fills the batch with its first input and goes on first
    expect(scorer.runs[0]).toEqual([...Array(6).fill('cam1#0'), 'plain#0', 'cam1#1']);
    expect(scorer.runs[1]).toEqual([...Array(5).fill('cam1#1'), 'plain#1']);
  });

  it('should decide each region on its own threshold and reject the frame when any region rejects', async () => {
    const two = layouts([
      { name: 'left', x: 0, y: 0, width: 100, height: 100, product: 'nut' },
      { name: 'strict', x: 100, y: 0, width: 160, height: 100, tiles: { scale: 1, overlap: 16 } },
    ]);
    const red = [255, 128, 128] as const; // ≈ 0.336: below nut's 0.7, above strict's 0.3
    const frames = [regionFrame(two, { seq: 0, spots: [[0, 10, 10, red]] }), regionFrame(two, { seq: 1, spots: [[1, 10, 10, red]] })];
    const decisions = await collect(from(frames), tiny, options(tiny));
    const bySeq = (seq: number) => decisions.find((d) => d.frame.seq === seq)!.verdict;
    expect(bySeq(0).reject).toBe(false);
    expect(bySeq(0).regions!.map((r) => [r.name, r.product, r.threshold, r.reject])).toEqual([['left', 'nut', 0.7, false], ['strict', 'bolt', 0.3, false]]);
    expect(bySeq(1).reject).toBe(true);
    expect([bySeq(1).threshold, bySeq(1).regions!.map((r) => r.reject)]).toEqual([0.3, [false, true]]); // the deciding region's
  });

  it('should zero the ignored areas before the score', async () => {
    const masked = layouts([{ name: 'belt', x: 0, y: 0, width: 160, height: 100, tiles: { scale: 1, overlap: 16 } }], [{ x: 0, y: 0, width: 20, height: 100 }]);
    const frames = [regionFrame(masked, { seq: 0, spots: [[0, 5, 50, [0, 0, 0]]] }), regionFrame(masked, { seq: 1, spots: [[0, 25, 50, [0, 0, 0]]] })];
    const decisions = await collect(from(frames), tiny, options(tiny));
    expect(decisions.map((d) => [d.frame.seq, d.verdict.reason]).sort()).toEqual([[0, 'ok'], [1, 'anomaly']]);
    expect(decisions.find((d) => d.frame.seq === 0)!.inference!.anomalyMap[50 * 160 + 5]).toBe(0);
  });

  it('should shed and expire whole frames, never one already started, and lose none under overload', async () => {
    const scorer = recording(slow);
    const n = 40;
    const frames$ = interval(3).pipe(take(n), map((seq) => regionFrame(belt, { seq })));
    const decisions = await collect(frames$, scorer, options(scorer, { batchMaxSize: 4, deadlineMs: 80, maxQueuedPerCamera: 2 }));
    expect(decisions).toHaveLength(n);
    expect(new Set(decisions.map((d) => d.verdict.id)).size).toBe(n);
    const scored = new Set(decisions.filter((d) => d.verdict.reason === 'ok').map((d) => d.frame.seq));
    const shed = decisions.filter((d) => d.verdict.reason === 'deadline');
    expect(scored.size).toBeGreaterThan(0);
    expect(shed.length).toBeGreaterThan(0);
    expect(shed.every((d) => d.verdict.score === null && d.verdict.reject && d.verdict.regions?.[0]?.reject === true)).toBe(true);
    // a frame that went to the engine went whole: six tiles, each once; a shed frame never reached it
    const runs = scorer.runs.flat();
    for (let seq = 0; seq < n; seq++) expect(runs.filter((r) => r === `cam1#${seq}`).length).toBe(scored.has(seq) ? 6 : 0);
  });

  it('should fail a split frame once when a later run of its tiles fails', async () => {
    const engine = await InferenceEngine.open({ modelPath: tinyModels.slow, providers: ['cpu'], threads: 1 });
    const scorer = recording(engine);
    const frames = [0, 1].map((seq) => regionFrame(belt, { seq }));
    let killed = false;
    const killing: Scorer = {
      modelId: engine.modelId,
      sidecar: engine.sidecar,
      run: (inputs) => {
        const run = scorer.run(inputs);
        // the first run (frame 0's first four tiles) completes; the worker is gone for the rest
        if (!killed) void run.then(() => engine.terminate());
        killed = true;
        return run;
      },
    };
    const decisions = await collect(from(frames), killing, options(killing));
    expect(ids(decisions)).toEqual(frames.map(idOf).sort());
    expect(decisions.every((d) => d.verdict.reason === 'error' && d.verdict.reject && d.inference === undefined)).toBe(true);
  });
});
