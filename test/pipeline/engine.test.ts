import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceEngine } from '../../src/pipeline/engine.js';
import { sidecarPathFor } from '../../src/pipeline/sidecar.js';
import { tinyModels } from '../setup/tiny-model.js';
import { makeFrame, tinyMap, tinyScore } from './frames.js';

const open = (modelPath: string) => InferenceEngine.open({ modelPath, providers: ['cpu'], threads: 1 });

describe('InferenceEngine on the tiny contract model', () => {
  let engine: InferenceEngine;
  beforeAll(async () => {
    engine = await InferenceEngine.open({ modelPath: tinyModels.ok, providers: ['tensorrt', 'cuda', 'cpu'], threads: 1 });
  });
  afterAll(() => engine.close());

  it('says which model and provider it runs', () => {
    expect(engine.modelId).toBe('tiny@1.0.0');
    expect(['tensorrt', 'cuda', 'cpu']).toContain(engine.provider);
    expect(engine.sidecar.input).toEqual({ height: 64, width: 64 });
  });

  it('scores a batch of 1 as the formula says, map included', async () => {
    const frame = makeFrame({ spots: [[10, 20, [255, 255, 128]]] });
    const [inference] = await engine.run([frame]);
    expect(inference!.score).toBeCloseTo(tinyScore(frame), 6);
    expect(inference!.score).toBeCloseTo((1 + 1 + 1 / 255) / 3, 6); // |128/255 - 0.5| * 2 = 1/255
    expect([inference!.mapHeight, inference!.mapWidth]).toEqual([64, 64]);
    const expected = tinyMap(frame);
    expect(inference!.anomalyMap.length).toBe(expected.length);
    for (const i of [0, 20 * 64 + 10, 4095]) expect(inference!.anomalyMap[i]).toBeCloseTo(expected[i]!, 6);
  });

  it('scores a batch of 5 frames of different cameras, each its own score, in order', async () => {
    const frames = [
      makeFrame({ camera: 'a', fill: 128 }),
      makeFrame({ camera: 'b', spots: [[0, 0, [255, 255, 255]]] }),
      makeFrame({ camera: 'c', fill: 0 }),
      makeFrame({ camera: 'd', spots: [[63, 63, [0, 128, 128]]] }),
      makeFrame({ camera: 'e', fill: 200 }),
    ];
    const results = await engine.run(frames);
    expect(results).toHaveLength(5);
    results.forEach((r, i) => expect(r.score).toBeCloseTo(tinyScore(frames[i]!), 6));
    // Each frame's map is its own 64x64 slice of the batch's map.
    expect(results[1]!.anomalyMap[0]).toBeCloseTo(1, 6);
    expect(results[3]!.anomalyMap[4095]).toBeCloseTo(tinyMap(frames[3]!)[4095]!, 6);
    // The batch was copied into its own buffer and moved to the worker: the frames keep their pixels.
    expect(frames.every((f) => f.pixels.byteLength === 64 * 64 * 3)).toBe(true);
  });

  it('refuses a frame of the wrong size with a clear error, and keeps working', async () => {
    const run = engine.run([makeFrame(), makeFrame({ camera: 'cam9', seq: 3, size: 32 })]);
    await expect(run).rejects.toMatchObject({ code: 'FRAME_SIZE' });
    await expect(run).rejects.toThrow('frame cam9#3 is 32x32 with 3072 bytes, the model takes 64x64 (12288 bytes) RGB');
    expect(await engine.run([makeFrame()])).toHaveLength(1);
  });

  it('answers an empty batch without bothering the worker', async () => {
    expect(await engine.run([])).toEqual([]);
  });
});

describe('InferenceEngine refuses what it cannot run', () => {
  it.each([
    ['notOnnx', 'MODEL_NOT_ONNX', /is not a loadable ONNX model: .*Protobuf parsing failed/],
    ['floatInput', 'MODEL_CONTRACT', /does not follow the model contract: input "image" is float32, expected uint8/],
    ['nchw', 'MODEL_CONTRACT', /looks like NCHW/],
    ['noAnomalyMap', 'MODEL_CONTRACT', /no output "anomaly_map"/],
    ['fixedBatch', 'MODEL_CONTRACT', /batch dimension is fixed at 1, expected dynamic/],
    ['sidecarSize', 'MODEL_CONTRACT', /input "image" height is 64, the sidecar's input.height is 128/],
  ] as const)('%s → %s', async (variant, code, message) => {
    const opening = open(tinyModels[variant]);
    await expect(opening).rejects.toMatchObject({ code });
    await expect(opening).rejects.toThrow(message);
  });

  it('a model file that does not exist', async () => {
    await expect(open('/nonexistent/m.onnx')).rejects.toThrow('model: cannot read "/nonexistent/m.onnx": no such file');
  });

  it('a model without its sidecar, or with a sidecar that names a bad field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engine-'));
    const model = join(dir, 'm.onnx');
    copyFileSync(tinyModels.ok, model);
    await expect(open(model)).rejects.toMatchObject({ code: 'SIDECAR', message: expect.stringContaining('m.json": not found') });
    const sidecar = JSON.parse(readFileSync(sidecarPathFor(tinyModels.ok), 'utf8'));
    writeFileSync(sidecarPathFor(model), JSON.stringify({ ...sidecar, input: { height: 64 } }));
    await expect(open(model)).rejects.toThrow(/sidecar ".*m\.json": input\.width: required/);
  });
});

describe('InferenceEngine worker', () => {
  it('keeps the main thread ticking while a slow batch runs', async () => {
    const engine = await open(tinyModels.slow);
    try {
      const ticks: number[] = [];
      const timer = setInterval(() => ticks.push(performance.now()), 5);
      const started = performance.now();
      await engine.run(Array.from({ length: 16 }, (_, seq) => makeFrame({ seq })));
      const took = performance.now() - started;
      clearInterval(timer);
      // The timer fired while the batch was scored: a run on this thread would block it from start to end. 16 frames
      // of the slow model are 17 G multiply-adds on one thread, over 100 ms on any CPU, so several 5 ms ticks fit in
      // on any machine; how regular they were depends on the machine's load and is not asserted.
      console.log(`main thread: ${ticks.length} ticks while a ${took.toFixed(0)} ms batch ran in the worker`);
      expect(ticks.filter((t) => t > started && t < started + took).length).toBeGreaterThanOrEqual(3);
    } finally {
      await engine.close();
    }
  });

  it('rejects pending runs when the worker ends under them, and says so afterwards', async () => {
    const engine = await open(tinyModels.slow);
    const frames = Array.from({ length: 8 }, (_, seq) => makeFrame({ seq }));
    const first = engine.run(frames);
    const second = engine.run(frames);
    await engine.terminate();
    await expect(first).rejects.toMatchObject({ code: 'INFERENCE_WORKER_EXITED', message: expect.stringContaining('before a batch of 8 frames was scored') });
    await expect(second).rejects.toMatchObject({ code: 'INFERENCE_WORKER_EXITED' });
    expect(await engine.exited).toEqual({ reason: 'terminated' });
    expect(engine.alive).toBe(false);
    await expect(engine.run(frames)).rejects.toMatchObject({ code: 'INFERENCE_WORKER_ENDED', message: 'inference: the worker was terminated; open a new engine' });
  });

  it('lets queued runs finish on close, then ends the worker', async () => {
    const engine = await open(tinyModels.ok);
    const run = engine.run([makeFrame()]);
    await engine.close();
    expect(await run).toHaveLength(1);
    expect(await engine.exited).toEqual({ reason: 'closed' });
  });
});
