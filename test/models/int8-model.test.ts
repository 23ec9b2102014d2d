/**
 * The shipped int8 demo model (models/uniad/quantize.py) loads through the runtime's own engine, passes the model
 * contract, scores frames, and carries the note of how it was made and what it costs in accuracy.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceEngine } from '../../src/pipeline/engine.js';
import { loadSidecar } from '../../src/pipeline/sidecar.js';
import { repoRoot } from '../setup/paths.js';

const int8 = join(repoRoot, 'models/demo/uniad-demo-int8.onnx');
const fp32 = join(repoRoot, 'models/demo/uniad-demo.onnx');

interface QuantNote {
  fp32: { imageAuroc: number; pixelAuroc: number };
  int8: { imageAuroc: number; pixelAuroc: number };
}

describe('int8 demo model', () => {
  let engine: InferenceEngine;
  beforeAll(async () => {
    engine = await InferenceEngine.open({ modelPath: int8, providers: ['cpu'], threads: 1 });
  });
  afterAll(() => engine.close());

  it('loads through the engine (model contract) and gives a finite score and map per frame', async () => {
    const { height, width } = engine.sidecar.input;
    const frames = [0, 1].map((seq) => ({ camera: 'c', line: 'l', product: 'brick', seq, capturedAt: Date.now(), width, height, pixels: new Uint8Array(width * height * 3).fill(40 + seq * 100) }));
    const out = await engine.run(frames);
    expect(out).toHaveLength(2);
    for (const r of out) {
      expect(Number.isFinite(r.score)).toBe(true);
      expect(r.anomalyMap.length).toBe(height * width);
    }
  });

  it('serves the same classes as the FP32 model, with its own thresholds and the accuracy note', () => {
    const q = loadSidecar(int8);
    const f = loadSidecar(fp32);
    expect(q.classes).toEqual(f.classes);
    expect(Object.keys(q.thresholds).sort()).toEqual(Object.keys(f.thresholds).sort());
    const note = (JSON.parse(readFileSync(int8.replace(/\.onnx$/, '.json'), 'utf8')) as { quantization: QuantNote }).quantization;
    for (const v of [note.fp32.imageAuroc, note.int8.imageAuroc, note.fp32.pixelAuroc, note.int8.pixelAuroc]) expect(v).toBeGreaterThan(0.5);
  });
});
