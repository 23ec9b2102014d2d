/** The FP32 ceiling the model is measured against: derived from the CPU, and reached by a plain MatMul here. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { sessionOptions, type SessionTuning } from '../src/pipeline/session-options.js';
import { writeGemmModel } from './gemm-model.js';
import type { Peak } from './results.js';

/** The FP32 peak docs/platform.md gives for these 2 cores. */
export const nominalPeak = 380;

/** Clock from /proc/cpuinfo (`cpu MHz`, the base clock a VM reports), GHz. */
function clockGHz(): number {
  const mhz = /^cpu MHz\s*:\s*([\d.]+)/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
  return mhz ? Number(mhz[1]) / 1000 : NaN;
}

export async function measurePeak(runs: number, tuning: SessionTuning): Promise<Peak> {
  const ghz = clockGHz();
  const hasAvx512 = /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  // Per core and cycle: 2 FMA units × (16 FP32 lanes with AVX-512, 8 with AVX2) × 2 FLOP.
  const derived = cpus().length * 2 * (hasAvx512 ? 16 : 8) * 2 * ghz;
  const n = 1024;
  const dir = mkdtempSync(join(tmpdir(), 'uniad-bench-gemm-'));
  try {
    const path = join(dir, 'gemm.onnx');
    writeGemmModel(path, n);
    const session = await InferenceSession.create(path, sessionOptions('cpu', tuning));
    const a = new Tensor('float32', new Float32Array(n * n).fill(0.5), [n, n]);
    await session.run({ A: a, B: a });
    let best = Infinity;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await session.run({ A: a, B: a });
      best = Math.min(best, performance.now() - t0);
    }
    await session.release();
    return { derived, clockGHz: ghz, nominal: nominalPeak, gemm: (2 * n ** 3) / (best / 1000) / 1e9 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
