/**
 * Two models of the same contract timed against each other: their `session.run`s interleaved one by one (in turn
 * first) so both see the same machine; medians count. How int8 is compared with FP32: timed minutes apart on a shared
 * machine, the two would differ by the load as much as by the model.
 */
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { sessionOptions, type SessionTuning } from '../src/pipeline/session-options.js';
import { percentile } from './stats.js';
import { interleaved } from './interleave.js';

export interface PairPoint {
  readonly batch: number;
  /** Median frames/s of the first model and of the second. */
  readonly base: number;
  readonly other: number;
}

export async function compareModels(basePath: string, otherPath: string, size: { height: number; width: number }, batches: readonly number[], runs: number, tuning: SessionTuning): Promise<PairPoint[]> {
  const a = await InferenceSession.create(basePath, sessionOptions('cpu', tuning));
  const b = await InferenceSession.create(otherPath, sessionOptions('cpu', tuning));
  try {
    const points: PairPoint[] = [];
    for (const batch of batches) {
      const image = new Tensor('uint8', new Uint8Array(batch * size.height * size.width * 3).fill(100), [batch, size.height, size.width, 3]);
      const time = async (s: InferenceSession) => {
        const t0 = performance.now();
        await s.run({ image });
        return performance.now() - t0;
      };
      await time(a);
      await time(b);
      const [ta, tb] = await interleaved(runs, () => time(a), () => time(b));
      points.push({ batch, base: (batch * 1000) / percentile(ta, 50), other: (batch * 1000) / percentile(tb, 50) });
    }
    return points;
  } finally {
    await a.release();
    await b.release();
  }
}
