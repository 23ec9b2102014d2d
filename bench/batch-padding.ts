/**
 * What padding partial batches to a fixed batch size would cost, on onnxruntime-node's CPU provider: the median time
 * of one `session.run` for each batch size 1..max, and the extra time a batch of k pays when padded to max.
 * (TensorRT alternative: one optimisation profile 1..max, src/pipeline/tensorrt-options.ts.)
 *
 *   nice -n 10 npx tsx bench/batch-padding.ts [--model models/demo/uniad-demo.onnx] [--max 8] [--runs 15] [--threads 1]
 */
import { parseArgs } from 'node:util';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { join } from 'node:path';
import { packageRoot } from '../src/package-root.js';
import { loadSidecar } from '../src/pipeline/sidecar.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: join(packageRoot, 'models', 'demo', 'uniad-demo.onnx') },
    max: { type: 'string', default: '8' },
    runs: { type: 'string', default: '15' },
    threads: { type: 'string', default: '1' },
  },
});
const max = Number(values.max);
const runs = Number(values.runs);
const { height: h, width: w } = loadSidecar(values.model).input;
const session = await InferenceSession.create(values.model, { executionProviders: ['cpu'], intraOpNumThreads: Number(values.threads), graphOptimizationLevel: 'all' });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms: number[] = [];
for (let n = 1; n <= max; n++) {
  const pixels = new Uint8Array(n * h * w * 3).map((_, i) => (i * 31) & 255);
  const feed = { image: new Tensor('uint8', pixels, [n, h, w, 3]) };
  await session.run(feed);
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await session.run(feed);
    times.push(performance.now() - t0);
  }
  ms.push(median(times));
}
const full = ms[max - 1]!;
const rows = ms.map((t, i) => ({ batch: i + 1, ms: +t.toFixed(1), msPerFrame: +(t / (i + 1)).toFixed(1), paddedMs: +full.toFixed(1), paddingCost: `${((full / t - 1) * 100).toFixed(0)}%` }));
console.table(rows);
console.log(JSON.stringify({ model: values.model, input: `${h}x${w}`, threads: Number(values.threads), runs, ms: rows.map((r) => r.ms) }));
await session.release();
