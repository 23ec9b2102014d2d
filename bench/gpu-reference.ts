/**
 * Section 8: PyTorch on a GPU (models/uniad/gpu_timing.py): both presets in FP32 and FP16 at batches 1–32, naming the
 * card. Needs a Python whose torch was built with CUDA (`--gpu-python`; Debian's /usr/bin/python3 has a CPU-only
 * torch); without a GPU the section says why, and nothing else depends on it. `--quick` times the tiny preset on the
 * CPU instead, so CI runs the same code path. A GPU machine without this project's Node side runs the Python alone
 * and hands its JSON line over (`--gpu-json`).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { packageRoot } from '../src/package-root.js';

export interface GpuRow {
  readonly preset: string;
  readonly precision: 'fp32' | 'fp16';
  readonly batch: number;
  readonly msPerBatch: number;
  readonly fps: number;
}

export interface GpuTiming {
  /** The card's name (`cpu` in --quick); null when the Python's torch sees no CUDA device. */
  readonly device: string | null;
  readonly reason?: string;
  readonly torch: string;
  /** The Python that ran it, or where its JSON was read from (`--gpu-json`). */
  readonly python: string;
  readonly rows: readonly GpuRow[];
}

export function timeGpu(python: string, quick: boolean): GpuTiming {
  const args = quick
    ? ['-m', 'models.uniad.gpu_timing', '--device', 'cpu', '--presets', 'tiny', '--batches', '1,2', '--precisions', 'fp32', '--rounds', '2']
    : ['-m', 'models.uniad.gpu_timing', '--presets', 'mobilenet,paper', '--batches', '1,2,4,8,16,32'];
  const json = execFileSync(python, args, { cwd: packageRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return { ...(JSON.parse(json.trim().split('\n').at(-1)!) as Omit<GpuTiming, 'python'>), python };
}

/** The JSON line `python3 -m models.uniad.gpu_timing` printed on another machine. */
export function readGpuTiming(path: string): GpuTiming {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const r = JSON.parse(lines.at(-1)!) as Omit<GpuTiming, 'python'>;
  if (!('rows' in r) || !Array.isArray(r.rows)) throw new Error(`bench: ${path} is not the JSON line of models/uniad/gpu_timing.py (no "rows")`);
  return { ...r, python: `read from ${path}` };
}
