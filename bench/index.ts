/**
 * `npm run bench`: every performance figure of docs/performance.md, measured in ONE run on this machine, for the
 * shipped demo model (whatever models/demo/uniad-demo.onnx is now), its int8 sibling when one is shipped, and the
 * paper preset (EfficientNet-B4, random weights, exported to .cache/bench/ once: weights do not change speed).
 *
 *   npm run bench                          all sections, all models; prints the tables, writes docs/performance.md
 *   npm run bench -- --only raw,flops      some sections (raw, pipeline, latency, torch, flops, tuning, policy, gpu, tiles); prints only
 *   npm run bench -- --quick               every section, demo model only, tiny durations (CI: finite numbers, not speed)
 *   npm run bench -- --check               the full run, then exit 1 if a target of docs/performance.md is missed
 *   npm run bench -- --no-paper            skip the paper preset
 *   npm run bench -- --json FILE           also write the raw results as JSON (test/bench checks --quick's)
 *   npm run bench -- --from FILE           measure nothing: render docs/performance.md again from a run's --json FILE
 *   npm run bench -- --gpu-python PATH     the Python (with a CUDA build of torch) for the GPU section; default /usr/bin/python3
 *   npm run bench -- --gpu-json FILE       the GPU section from `python3 -m models.uniad.gpu_timing > FILE` run on a GPU machine
 *
 * Run it under `nice` on a shared machine; numbers then show the load, ratios within the run much less.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/config.js';
import { packageRoot } from '../src/package-root.js';
import { loadSidecar } from '../src/pipeline/sidecar.js';
import type { SessionTuning } from '../src/pipeline/session-options.js';
import { probeBf16 } from './bf16-probe.js';
import { measureBrokerHop } from './broker-hop.js';
import { measureImages } from './images.js';
import { readGpuTiming, timeGpu } from './gpu-reference.js';
import { compareModels } from './model-pair.js';
import { measurePeak } from './peak.js';
import { profileModel } from './op-profile.js';
import { fileCameras, runPipeline, testCameras, type PipelineRunResult } from './pipeline-run.js';
import { measureRaw } from './raw.js';
import { renderConsole, renderMarkdown } from './report.js';
import { sectionNames, type BenchResults, type ModelResults, type ModelUnderTest, type SectionName } from './results.js';
import { interpolate } from './stats.js';
import { checkTargets } from './targets.js';
import { benchCacheDir, timeTorch } from './torch-reference.js';
import { measureTiles } from './tiles.js';
import { compareTuning } from './tuning.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    check: { type: 'boolean', default: false },
    only: { type: 'string' },
    'no-paper': { type: 'boolean', default: false },
    out: { type: 'string' },
    json: { type: 'string' },
    from: { type: 'string' },
    'gpu-python': { type: 'string', default: '/usr/bin/python3' },
    'gpu-json': { type: 'string' },
  },
});
if (values.from !== undefined) {
  const saved = JSON.parse(readFileSync(values.from, 'utf8')) as BenchResults;
  const out = values.out ?? join(packageRoot, 'docs/performance.md');
  writeFileSync(out, renderMarkdown(saved));
  console.log(renderConsole(saved));
  process.exit(0);
}
const quick = values.quick!;
const only = values.only?.split(',').map((s) => s.trim()) ?? [...sectionNames];
const unknown = only.filter((s) => !(sectionNames as readonly string[]).includes(s));
if (unknown.length > 0) throw new Error(`bench: unknown section ${unknown.join(', ')}; sections: ${sectionNames.join(', ')}`);
const sections = new Set(only as SectionName[]);
const log = (msg: string) => process.stderr.write(`bench ${new Date().toISOString().slice(11, 19)} ${msg}\n`);

const demoPath = join(packageRoot, 'models/demo/uniad-demo.onnx');
const int8Path = join(packageRoot, 'models/demo/uniad-demo-int8.onnx');
// 892 frames of mixed parts on a moving belt (the demo's earlier line video): long enough to measure at full speed.
const lineVideo = join(packageRoot, 'bench/media/conveyor.mp4');
/** The service's defaults (config.ts), so the pipeline runs what ships. */
const defaults = parseConfig({ cameras: [{ id: 'c', line: 'l', product: 'p', source: 'test:' }], model: { path: demoPath } }).model;
const tuning: SessionTuning = { threads: defaults.threads };

const sizeOf = (path: string) => loadSidecar(path).input;
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 12);

/** A pipeline run that failed (a service that never started on an overloaded machine) is logged and left out. */
async function tryRun(what: string, run: () => Promise<PipelineRunResult>): Promise<PipelineRunResult[]> {
  try {
    return [await run()];
  } catch (err) {
    log(`${what} failed, left out: ${(err as Error).message}`);
    return [];
  }
}
const models: ModelUnderTest[] = [{ label: 'demo', path: demoPath, preset: 'mobilenet', size: sizeOf(demoPath), sha256: sha(demoPath) }];
if (existsSync(int8Path) && existsSync(int8Path.replace(/\.onnx$/, '.json'))) {
  const { quantization } = JSON.parse(readFileSync(int8Path.replace(/\.onnx$/, '.json'), 'utf8')) as { quantization?: unknown };
  models.push({ label: 'demo-int8', path: int8Path, size: sizeOf(int8Path), sha256: sha(int8Path), quantization });
}

const results: BenchResults = {
  date: new Date().toISOString(),
  quick,
  machine: {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    load: [loadavg()],
    node: process.version,
    ort: (JSON.parse(readFileSync(join(packageRoot, 'node_modules/onnxruntime-node/package.json'), 'utf8')) as { version: string }).version,
  },
  models: [],
};

// The paper preset: exported once by the PyTorch reference (which times it on the way).
const torchBatch = quick ? 1 : 8;
const paperPath = join(benchCacheDir, 'paper.onnx');
const torchTimings = new Map<string, ReturnType<typeof timeTorch>>();
if (!quick && !values['no-paper']) {
  if (sections.has('torch') || !existsSync(paperPath)) {
    log('PyTorch eager forward of the paper preset, and its export…');
    torchTimings.set('paper', timeTorch('paper', torchBatch, 2, 2));
  }
  models.push({ label: 'paper', path: paperPath, preset: 'paper', size: sizeOf(paperPath), sha256: sha(paperPath) });
}

for (const model of models) {
  const r: ModelResults = { model };
  results.models.push(r);
  const heavy = model.label === 'paper';
  // The demo model goes through every section; the int8 sibling through raw and flops (its speed against FP32; the
  // pipeline around it is the same), and in --quick through raw only (finite numbers, fast).
  const all = model.label !== 'demo-int8' && (!quick || model.label === 'demo');
  if (sections.has('raw')) {
    log(`${model.label}: raw session.run vs engine…`);
    r.raw = await measureRaw({ modelPath: model.path, size: model.size, batches: quick ? [1, 2] : heavy ? [1, 2, 4, 8] : [1, 2, 4, 8, 16], runs: quick ? 3 : heavy ? 5 : 8, tuning });
  }
  const rawAt = (batch: number) => (r.raw ? interpolate(r.raw.map((p) => [p.batch, p.raw] as const), batch) : NaN);
  if (sections.has('pipeline') && all) {
    r.throughput = [];
    for (const n of quick ? [2] : heavy ? [1, 4] : [1, 2, 4, 8]) {
      log(`${model.label}: pipeline, ${n} camera(s) playing the demo video as fast as the model takes it…`);
      r.throughput.push(...await tryRun(`${model.label} pipeline ${n}`, () => runPipeline({ modelPath: model.path, cameras: fileCameras(n, [lineVideo]), batchMaxSize: defaults.batchMaxSize, batchMaxWaitMs: defaults.batchMaxWaitMs, threads: tuning.threads, warmupS: quick ? 1 : 4, measureS: quick ? 2 : heavy ? 12 : 8 })));
    }
  }
  if (sections.has('latency') && all) {
    // Paced below capacity (half of what batch 1 does), so the split shows the pipeline's cost, not a backlog.
    const totalFps = Math.max(1, Math.min(30, 0.5 * (Number.isFinite(rawAt(1)) ? rawAt(1) : 4)));
    results.latencySetup ??= { totalFps };
    r.latency = [];
    for (const n of quick ? [1] : heavy ? [1, 4] : [1, 2, 4, 8]) {
      // 1 camera also with batchMaxWaitMs 0, the latency target's setting, when the default differs.
      for (const wait of n === 1 && !quick ? [...new Set([0, defaults.batchMaxWaitMs])] : n === 1 ? [0] : [defaults.batchMaxWaitMs]) {
        log(`${model.label}: latency, ${n} camera(s) at ${(totalFps / n).toFixed(1)} fps each, batchMaxWaitMs ${wait}…`);
        r.latency.push(...await tryRun(`${model.label} latency ${n}`, () => runPipeline({ modelPath: model.path, cameras: testCameras(n, totalFps / n), batchMaxSize: defaults.batchMaxSize, batchMaxWaitMs: wait, threads: tuning.threads, warmupS: quick ? 1 : 3, measureS: quick ? 3 : heavy ? 15 : 10 })));
      }
    }
  }
  if (sections.has('torch') && model.preset !== undefined && !(quick && model.label !== 'demo')) {
    const timing = torchTimings.get(model.preset) ?? (log(`${model.label}: PyTorch eager forward of preset ${model.preset}…`), timeTorch(model.preset, torchBatch, quick ? 1 : 3, 2));
    const ort = await measureRaw({ modelPath: timing.onnx, size: model.size, batches: [torchBatch], runs: quick ? 3 : 6, tuning, withEngine: false });
    r.torch = { torch: timing, ortFps: ort[0]!.raw };
  }
  if (sections.has('flops') && (all || (model.label === 'demo-int8' && !quick))) {
    log(`${model.label}: onnxruntime profile and FLOP count…`);
    const batch = quick ? 1 : 8;
    const measured = await profileModel(model.path, model.size, batch, quick ? 1 : 3, tuning);
    // The int8 graph hides its weights' shapes from the profile (initializers are not listed): it is the same network.
    const fp32 = results.models.find((m) => m.model.label === 'demo')?.flops?.profile.gflopPerFrame;
    const profile = model.label === 'demo-int8' && fp32 !== undefined ? { ...measured, gflopPerFrame: fp32 } : measured;
    const best = r.raw ? r.raw.reduce((a, b) => (b.raw > a.raw ? b : a)) : { batch, raw: 1000 / profile.nodeMsPerFrame };
    r.flops = { profile, achieved: best.raw * profile.gflopPerFrame, atBatch: best.batch };
  }
}

const demo = results.models[0]!;
const int8 = results.models.find((m) => m.model.label === 'demo-int8');
if (sections.has('raw') && int8 !== undefined) {
  log('int8 against FP32, runs interleaved…');
  results.int8Pairs = await compareModels(demo.model.path, int8.model.path, demo.model.size, quick ? [1] : [1, 8], quick ? 3 : 12, tuning);
}
if (sections.has('latency') && results.latencySetup) {
  // the 1-camera runs' frame interval
  const gapMs = 1000 / results.latencySetup.totalFps;
  log(`latency floor: one message through the embedded broker every ${gapMs.toFixed(0)} ms, and back to back…`);
  const messages = quick ? 20 : 300;
  results.brokerHop = { gapMs, atGap: await measureBrokerHop(gapMs, messages), backToBack: await measureBrokerHop(0, messages) };
  log('images of a reject: heatmap and PNG encoding…');
  results.images = measureImages(quick ? 2 : 15);
}
if (sections.has('flops')) {
  log('FP32 peak: a 1024³ MatMul in onnxruntime…');
  results.peak = await measurePeak(quick ? 4 : 12, tuning);
  results.bf16 = await probeBf16();
}
if (sections.has('tuning')) {
  log('session tuning, demo model…');
  results.tuning = await compareTuning(demo.model.path, demo.model.size, quick ? 1 : 8, quick ? 3 : 8, tuning);
}
if (sections.has('policy')) {
  const b1 = demo.raw?.find((p) => p.batch === 1)?.raw ?? 8;
  const cameras = 4;
  const fps = Math.max(1, (0.5 * b1) / cameras);
  results.policySetup = { cameras, fps, model: demo.model.label };
  results.policy = [];
  for (const batchMaxSize of quick ? [8] : [1, 8, 16]) {
    for (const batchMaxWaitMs of quick ? [0] : [0, 20]) {
      log(`policy: batchMaxSize ${batchMaxSize}, batchMaxWaitMs ${batchMaxWaitMs}, ${cameras} cameras at ${fps.toFixed(1)} fps…`);
      const runs = await tryRun(`policy ${batchMaxSize}/${batchMaxWaitMs}`, () => runPipeline({ modelPath: demo.model.path, cameras: testCameras(cameras, fps), batchMaxSize, batchMaxWaitMs, threads: tuning.threads, warmupS: quick ? 1 : 3, measureS: quick ? 2 : 8 }));
      for (const run of runs) results.policy.push({ batchMaxSize, batchMaxWaitMs, run });
    }
  }
}
if (sections.has('tiles')) {
  results.tiles = await measureTiles({ modelPath: demo.model.path, input: demo.model.size, counts: quick ? [1, 4] : [1, 4, 16, 30], batchMaxSize: defaults.batchMaxSize, batchMaxWaitMs: defaults.batchMaxWaitMs, threads: tuning.threads, warmupS: quick ? 1 : 5, measureS: quick ? 2 : 15, log });
}
if (sections.has('gpu')) {
  log(`PyTorch on the GPU (${values['gpu-json'] ?? values['gpu-python']})…`);
  results.gpu = values['gpu-json'] !== undefined ? readGpuTiming(values['gpu-json']) : timeGpu(values['gpu-python']!, quick);
  if (results.gpu.device === null) log(`no GPU: ${results.gpu.reason}`);
}
(results.machine.load as number[][]).push(loadavg());

console.log(renderConsole(results));
const complete = sectionNames.every((s) => sections.has(s));
const out = values.out ?? (complete && !quick ? join(packageRoot, 'docs/performance.md') : undefined);
if (out !== undefined) {
  writeFileSync(out, renderMarkdown(results));
  log(`wrote ${out}`);
}
if (values.json !== undefined) writeFileSync(values.json, JSON.stringify(results, null, 1));
if (values.check) {
  const misses = checkTargets(results);
  for (const m of misses) console.log(`target missed: ${m}`);
  process.exitCode = misses.length > 0 ? 1 : 0;
}
