/**
 * Section 1: raw onnxruntime-node `session.run` on this thread, on tensors packed beforehand, at each batch size; and
 * our InferenceEngine (pack here, transfer to the worker, run, transfer back) on the same frames: engine/raw shows
 * what the worker, the packing and the transfers cost. Both sessions stay loaded and their runs alternate one by one
 * (in turn first), so both sides see the same machine; each side's median time per run counts. On a shared,
 * loaded machine single runs vary several-fold, and only paired, interleaved runs give a ratio that means something.
 */
import { Tensor } from 'onnxruntime-node';
import { silentLogger } from '../src/log.js';
import { InferenceEngine } from '../src/pipeline/engine.js';
import { createSession } from '../src/pipeline/providers.js';
import type { SessionTuning } from '../src/pipeline/session-options.js';
import type { Frame } from '../src/types.js';
import { percentile } from './stats.js';
import { interleaved } from './interleave.js';

export interface RawPoint {
  readonly batch: number;
  /** frames/s of raw session.run. */
  readonly raw: number;
  /** frames/s of InferenceEngine.run; NaN when not timed. */
  readonly engine: number;
  /** ms per batch, raw. */
  readonly rawMs: number;
}

export interface RawOptions {
  readonly modelPath: string;
  readonly size: { readonly height: number; readonly width: number };
  readonly batches: readonly number[];
  /** Runs timed per batch size and side (at least 3). */
  readonly runs: number;
  readonly tuning: SessionTuning;
  /** Also time the InferenceEngine (default true). */
  readonly withEngine?: boolean;
}

function makeFrames(n: number, h: number, w: number): Frame[] {
  return Array.from({ length: n }, (_, seq) => {
    const pixels = new Uint8Array(h * w * 3);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 31 + seq * 17) & 255;
    return { camera: `cam${seq % 4}`, line: 'bench', product: 'bench', seq, capturedAt: Date.now(), width: w, height: h, pixels };
  });
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await run();
  return performance.now() - t0;
}

export async function measureRaw(o: RawOptions): Promise<RawPoint[]> {
  const { height: h, width: w } = o.size;
  const raw = await createSession(o.modelPath, ['cpu'], { ...o.tuning, logger: silentLogger });
  const engine = o.withEngine === false ? null : await InferenceEngine.open({ modelPath: o.modelPath, providers: ['cpu'], ...o.tuning, logger: silentLogger });
  try {
    const points: RawPoint[] = [];
    for (const batch of o.batches) {
      const count = Math.max(3, o.runs);
      const frames = makeFrames(batch * count, h, w);
      const batches = Array.from({ length: count }, (_, i) => frames.slice(i * batch, (i + 1) * batch));
      const tensors = batches.map((b) => {
        const packed = new Uint8Array(batch * h * w * 3);
        b.forEach((f, i) => packed.set(f.pixels, i * h * w * 3));
        return new Tensor('uint8', packed, [batch, h, w, 3]);
      });
      const runRaw = (i: number) => timed(() => raw.session.run({ image: tensors[i]! }));
      const runEngine = (i: number) => (engine === null ? Promise.resolve(NaN) : timed(() => engine.run(batches[i]!)));
      await runRaw(0); // warm-up: the first run of a batch shape allocates
      await runEngine(0);
      const [rawMs, engineMs] = await interleaved(count, runRaw, runEngine);
      const ms = { raw: percentile(rawMs, 50), engine: percentile(engineMs, 50) };
      points.push({ batch, raw: (batch * 1000) / ms.raw, engine: (batch * 1000) / ms.engine, rawMs: ms.raw });
    }
    return points;
  } finally {
    await raw.session.release();
    await engine?.close();
  }
}
