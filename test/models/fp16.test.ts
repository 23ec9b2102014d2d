/**
 * The FP16 variant (models/uniad/fp16.py) of the shipped demo model, run in onnxruntime-node's CPU provider next to
 * the FP32 original. The CPU provider has few FP16 kernels and runs the rest by casting to FP32 around them, so this
 * shows what storing weights and activations in FP16 costs the scores, not what FP16 arithmetic on a GPU does.
 * Tolerance: scores within 0.5 % of the FP32 model's (seen: ~0.03 %), maps within 0.5 % of the map's maximum.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root.js';

const fp32 = join(packageRoot, 'models', 'demo', 'uniad-demo.onnx');

describe('FP16 variant of the demo model', () => {
  it('keeps the contract and gives the FP32 scores and maps to within 0.5 %', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fp16-')), 'uniad-demo-fp16.onnx');
    execFileSync('/usr/bin/python3', ['-m', 'models.uniad.fp16', fp32, out], { cwd: packageRoot, stdio: 'pipe' });
    expect(statSync(out).size).toBeLessThan(0.6 * statSync(fp32).size);
    expect(JSON.parse(readFileSync(out.replace(/\.onnx$/, '.json'), 'utf8'))).toMatchObject({ precision: 'fp16', name: expect.any(String) });

    const [a, b] = await Promise.all([fp32, out].map((p) => InferenceSession.create(p, { executionProviders: ['cpu'], intraOpNumThreads: 1 })));
    expect(b!.inputMetadata).toEqual(a!.inputMetadata);
    expect(b!.outputMetadata).toEqual(a!.outputMetadata);
    const n = 2;
    const pixels = new Uint8Array(n * 224 * 224 * 3).map((_, i) => (i * 37 + (i >> 9)) & 255);
    const feed = { image: new Tensor('uint8', pixels, [n, 224, 224, 3]) };
    const [ra, rb] = [await a!.run(feed), await b!.run(feed)];
    expect(rb.score!.type).toBe('float32');
    expect(rb.anomaly_map!.dims).toEqual(ra.anomaly_map!.dims);
    const sa = ra.score!.data as Float32Array;
    const sb = rb.score!.data as Float32Array;
    sa.forEach((s, i) => expect(Math.abs(sb[i]! - s)).toBeLessThan(0.005 * Math.abs(s)));
    const ma = ra.anomaly_map!.data as Float32Array;
    const mb = rb.anomaly_map!.data as Float32Array;
    let peak = 0;
    let worst = 0;
    for (let i = 0; i < ma.length; i++) {
      peak = Math.max(peak, Math.abs(ma[i]!));
      worst = Math.max(worst, Math.abs(ma[i]! - mb[i]!));
    }
    expect(worst).toBeLessThan(0.005 * peak);
    await Promise.all([a!.release(), b!.release()]);
  }, 60_000);
});
