/** The targets of issue 13, judged on one run's results (`npm run bench -- --check`). */
import { nominalPeak } from './peak.js';
import type { BenchResults } from './results.js';
import type { Spread } from './stats.js';

/** p99 in words, or the maximum of the frames there were when too few for a p99. */
const tail = (s: Spread) => (s.p99 === null ? `max ${s.max.toFixed(2)} ms of ${s.n} frames (too few for a p99)` : `p99 ${s.p99.toFixed(2)} ms`);

export interface TargetRow {
  readonly target: string;
  /** The measured value in words; `not measured` when the section did not run. */
  readonly measured: string;
  readonly met: boolean | null;
}

export function targetRows(r: BenchResults): TargetRow[] {
  const demo = r.models.find((m) => m.model.label === 'demo');
  const int8 = r.models.find((m) => m.model.label === 'demo-int8');
  const rows: TargetRow[] = [];
  const b1 = demo?.raw?.find((p) => p.batch === 1);
  rows.push(b1 ? { target: 'engine/raw ≥ 0.95 at batch 1 (demo)', measured: (b1.engine / b1.raw).toFixed(3), met: b1.engine / b1.raw >= 0.95 } : { target: 'engine/raw ≥ 0.95 at batch 1 (demo)', measured: 'not measured', met: null });
  const one = demo?.latency?.find((l) => l.cameras === 1 && l.batchMaxWaitMs === 0);
  rows.push(
    one
      ? {
          target: 'p99 added latency ≤ 5 ms over inference, 1 camera, batchMaxWaitMs 0 (demo)',
          measured: `${tail(one.latency.added)}${r.brokerHop ? ` (one message through the broker alone at that frame interval: ${tail(r.brokerHop.atGap)})` : ''}`,
          // with too few frames for a p99 their maximum is judged: it is at least the p99 they would have
          met: (one.latency.added.p99 ?? one.latency.added.max) <= 5,
        }
      : { target: 'p99 added latency ≤ 5 ms over inference, 1 camera, batchMaxWaitMs 0 (demo)', measured: 'not measured', met: null },
  );
  const f = demo?.flops;
  rows.push(
    f
      ? { target: `≥ 50 % of the FP32 floor (${nominalPeak} GFLOP/s) (demo)`, measured: `${((100 * f.achieved) / nominalPeak).toFixed(1)} %`, met: f.achieved >= nominalPeak / 2 }
      : { target: `≥ 50 % of the FP32 floor (${nominalPeak} GFLOP/s) (demo)`, measured: 'not measured', met: null },
  );
  const pair = r.int8Pairs?.find((p) => p.batch === 8) ?? r.int8Pairs?.at(-1);
  rows.push(
    pair
      ? { target: `int8 ≥ 2× FP32 frames/s at batch ${pair.batch}, runs interleaved (demo)`, measured: `${(pair.other / pair.base).toFixed(2)}×`, met: pair.other / pair.base >= 2 }
      : { target: 'int8 ≥ 2× FP32 frames/s (demo)', measured: int8 ? 'not measured' : 'no int8 model shipped', met: int8 ? null : false },
  );
  return rows;
}

/** The targets missed; a target whose section did not run is not judged. */
export function checkTargets(r: BenchResults): string[] {
  return targetRows(r)
    .filter((t) => t.met === false)
    .map((t) => `${t.target}: ${t.measured}`);
}
