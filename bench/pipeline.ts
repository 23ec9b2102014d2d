/**
 * Inference throughput: raw onnxruntime-node `session.run` on this thread vs our InferenceEngine (pack on the main
 * thread, transfer to the worker, run, transfer back), on the same frames and batches, in one process run.
 * With `--torch PRESET`, also PyTorch's eager forward of that UniAD preset (Debian's /usr/bin/python3, random
 * weights: speed does not depend on their values), exported to ONNX for the two runs above: ours vs PyTorch.
 *
 *   npx tsx bench/pipeline.ts [--model PATH | --torch mobilenet] [--batch 8] [--frames 400] [--threads 0]
 *                             [--providers tensorrt,cuda,cpu] [--rounds 3]
 *
 * Default model: the tiny contract model of the tests (built if missing). Any contract model works.
 * Raw runs on pre-packed tensors, so the ratio shows what the worker, the packing and the transfers cost.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Tensor } from 'onnxruntime-node';
import { providerNames, type ProviderName } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { InferenceEngine } from '../src/pipeline/engine.js';
import { createSession } from '../src/pipeline/providers.js';
import { loadSidecar } from '../src/pipeline/sidecar.js';
import type { Frame } from '../src/types.js';
import { packageRoot } from '../src/package-root.js';
import { buildTinyModels, tinyModels } from '../test/setup/tiny-model.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    torch: { type: 'string' },
    batch: { type: 'string', default: '8' },
    frames: { type: 'string', default: '400' },
    threads: { type: 'string', default: '0' },
    providers: { type: 'string', default: providerNames.join(',') },
    rounds: { type: 'string', default: '3' },
  },
});
const batch = Number(values.batch);
const total = Number(values.frames);
const threads = Number(values.threads);
const rounds = Number(values.rounds);
const providers = values.providers.split(',') as ProviderName[];

interface TorchResult { torch: string; threads: number; batch: number; seconds: number[]; onnx: string }
let torch: TorchResult | undefined;
if (values.torch !== undefined) {
  process.stderr.write(`bench: timing PyTorch's forward of preset ${values.torch} and exporting it…\n`);
  const out = join(mkdtempSync(join(tmpdir(), 'uniad-bench-')), `${values.torch}.onnx`);
  const args = ['-m', 'models.uniad.timing', '--preset', values.torch, '--batch', String(batch), '--rounds', String(rounds), '--out', out];
  const json = execFileSync('/usr/bin/python3', threads ? [...args, '--threads', String(threads)] : args, { cwd: packageRoot, encoding: 'utf8' });
  torch = JSON.parse(json.trim().split('\n').at(-1)!) as TorchResult;
}
const modelPath = torch?.onnx ?? values.model ?? tinyModels.ok;
if (modelPath === tinyModels.ok && !existsSync(modelPath)) buildTinyModels();

const { height: h, width: w } = loadSidecar(modelPath).input;
const frameBytes = h * w * 3;
const frames: Frame[] = Array.from({ length: total }, (_, seq) => {
  const pixels = new Uint8Array(frameBytes);
  for (let i = 0; i < frameBytes; i++) pixels[i] = (i * 31 + seq * 17) & 255;
  return { camera: `cam${seq % 4}`, line: 'bench', product: 'bench', seq, capturedAt: Date.now(), width: w, height: h, pixels };
});
const batches: Frame[][] = [];
for (let i = 0; i < total; i += batch) batches.push(frames.slice(i, i + batch));
const WARMUP = 2;

async function timeIt(runBatch: (frames: Frame[], i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await runBatch(batches[i % batches.length]!, i % batches.length);
  const t0 = performance.now();
  for (let i = 0; i < batches.length; i++) await runBatch(batches[i]!, i);
  return performance.now() - t0;
}

// Raw: the same provider choice and threads, tensors packed beforehand (not timed).
const raw = await createSession(modelPath, providers, { threads, logger: silentLogger });
const tensors = batches.map((b) => {
  const packed = new Uint8Array(b.length * frameBytes);
  b.forEach((f, i) => packed.set(f.pixels, i * frameBytes));
  return new Tensor('uint8', packed, [b.length, h, w, 3]);
});
const engine = await InferenceEngine.open({ modelPath, providers, threads, logger: silentLogger });

// Both sessions stay loaded and the rounds alternate, so neither side gets the warmer machine; best round counts.
let rawMs = Infinity;
let engineMs = Infinity;
for (let r = 0; r < rounds; r++) {
  process.stderr.write(`bench: round ${r + 1}/${rounds}\r`);
  rawMs = Math.min(rawMs, await timeIt((_, i) => raw.session.run({ image: tensors[i]! })));
  engineMs = Math.min(engineMs, await timeIt((b) => engine.run(b)));
}
process.stderr.write('\n');
await raw.session.release();
await engine.close();

const fps = (ms: number) => (total / ms) * 1000;
const row = (name: string, ms: number) => `${name.padEnd(34)} ${fps(ms).toFixed(0).padStart(8)} frames/s  ${(ms / batches.length).toFixed(2).padStart(8)} ms/batch`;
console.log(`model ${modelPath} (${w}x${h}), provider ${engine.provider} (raw: ${raw.provider}), threads ${threads || 'ort default'}`);
console.log(`${total} frames in ${batches.length} batches of ${batch}, one run at a time; best of ${rounds} alternating rounds, ${WARMUP} warm-up batches each`);
console.log(row('raw session.run (main thread)', rawMs));
console.log(row('InferenceEngine.run (worker)', engineMs));
console.log(`ratio engine/raw: ${(fps(engineMs) / fps(rawMs)).toFixed(3)}`);
if (torch) {
  const torchMs = Math.min(...torch.seconds) * 1000;
  console.log(`${`PyTorch ${torch.torch} eager (${torch.threads} thread${torch.threads > 1 ? 's' : ''})`.padEnd(34)} ${((torch.batch / torchMs) * 1000).toFixed(0).padStart(8)} frames/s  ${torchMs.toFixed(2).padStart(8)} ms/batch  (best of ${torch.seconds.length})`);
  console.log(`ratio engine/PyTorch: ${(fps(engineMs) / ((torch.batch / torchMs) * 1000)).toFixed(2)}`);
}
