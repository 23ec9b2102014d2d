/**
 * Session tuning: frames/s of raw session.run with one setting changed against the default options
 * (session-options.ts), the two sessions' runs interleaved one by one so both see the same machine; medians count.
 */
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { sessionOptions, type SessionTuning } from '../src/pipeline/session-options.js';
import type { TuningPoint } from './results.js';
import { percentile } from './stats.js';
import { interleaved } from './interleave.js';

export interface Variant {
  readonly name: string;
  readonly options: InferenceSession.SessionOptions;
}

/** The settings compared, each against `sessionOptions('cpu', base)`. */
export function variants(base: SessionTuning): Variant[] {
  const def = sessionOptions('cpu', base);
  return [
    { name: 'intra-op threads spin (onnxruntime default)', options: sessionOptions('cpu', { ...base, spinning: true }) },
    { name: '1 intra-op thread', options: sessionOptions('cpu', { ...base, threads: 1 }) },
    { name: "graph optimisation 'extended' (no NCHWc layout)", options: { ...def, graphOptimizationLevel: 'extended' } },
    { name: "graph optimisation 'basic'", options: { ...def, graphOptimizationLevel: 'basic' } },
    { name: 'sequential execution off (parallel)', options: { ...def, executionMode: 'parallel' } },
  ];
}

export async function compareTuning(modelPath: string, size: { height: number; width: number }, batch: number, runs: number, base: SessionTuning): Promise<TuningPoint[]> {
  const image = new Tensor('uint8', new Uint8Array(batch * size.height * size.width * 3).fill(100), [batch, size.height, size.width, 3]);
  const baseline = await InferenceSession.create(modelPath, sessionOptions('cpu', base));
  const time = async (s: InferenceSession) => {
    const t0 = performance.now();
    await s.run({ image });
    return performance.now() - t0;
  };
  const points: TuningPoint[] = [];
  try {
    await time(baseline);
    for (const v of variants(base)) {
      const variant = await InferenceSession.create(modelPath, v.options);
      await time(variant);
      const [a, b] = await interleaved(runs, () => time(baseline), () => time(variant));
      await variant.release();
      points.push({ name: v.name, fps: (batch * 1000) / percentile(b, 50), baselineFps: (batch * 1000) / percentile(a, 50) });
    }
  } finally {
    await baseline.release();
  }
  return points;
}
