/**
 * Section 4: PyTorch eager (our models/ code, Debian's /usr/bin/python3) on a preset with random weights, exported
 * with exactly those weights to ONNX (models/uniad/timing.py), and raw onnxruntime on that export at the same batch:
 * the same network and weights on both sides. Weights do not change speed, so random ones stand for trained ones.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/package-root.js';

export interface TorchTiming {
  readonly preset: string;
  readonly torch: string;
  readonly threads: number;
  readonly batch: number;
  /** Best of the rounds, frames/s. */
  readonly fps: number;
  /** The export of the timed weights (+ sidecar). */
  readonly onnx: string;
}

export const benchCacheDir = join(packageRoot, '.cache/bench');

/** Times `preset` in PyTorch and writes its export to .cache/bench/<preset>.onnx. */
export function timeTorch(preset: string, batch: number, rounds: number, threads: number): TorchTiming {
  mkdirSync(benchCacheDir, { recursive: true });
  const out = join(benchCacheDir, `${preset}.onnx`);
  const args = ['-m', 'models.uniad.timing', '--preset', preset, '--batch', String(batch), '--rounds', String(rounds), '--threads', String(threads), '--out', out];
  const json = execFileSync('/usr/bin/python3', args, { cwd: packageRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const r = JSON.parse(json.trim().split('\n').at(-1)!) as { torch: string; threads: number; batch: number; seconds: number[]; onnx: string };
  return { preset, torch: r.torch, threads: r.threads, batch: r.batch, fps: r.batch / Math.min(...r.seconds), onnx: r.onnx };
}
