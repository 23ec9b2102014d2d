/** Renders one run's results (results.ts) as the console table and as docs/performance.md. */
import { nominalPeak } from './peak.js';
import type { PipelineRunResult } from './pipeline-run.js';
import type { BenchResults, ModelResults } from './results.js';
import { interpolate, mean, minSamplesForP99, type Spread } from './stats.js';
import { targetRows } from './targets.js';

const f = (x: number | undefined, digits = 1) => (x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits));
const table = (head: string[], rows: string[][]) =>
  [`| ${head.join(' | ')} |`, `| ${head.map((h, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

const rawAt = (m: ModelResults, batch: number) => (m.raw ? interpolate(m.raw.map((p) => [p.batch, p.raw] as const), batch) : NaN);

function rawTable(m: ModelResults): string {
  return table(
    ['batch', 'raw session.run frames/s', 'raw ms/batch', 'engine frames/s', 'engine/raw'],
    (m.raw ?? []).map((p) => [String(p.batch), f(p.raw), f(p.rawMs, 2), f(p.engine), f(p.engine / p.raw, 3)]),
  );
}

function throughputTable(m: ModelResults): string {
  return table(
    ['cameras', 'frames/s (verdicts received)', 'mean batch', 'raw frames/s at that batch', 'pipeline/raw', 'never scored'],
    (m.throughput ?? []).map((t) => [String(t.cameras), f(t.fps), f(t.meanBatch, 2), f(rawAt(m, t.meanBatch)), f(t.fps / rawAt(m, t.meanBatch), 3), String(t.unscored)]),
  );
}

/** A p99 cell: the value, or, below minSamplesForP99 samples, how many there were (the max column is their largest). */
export const p99Cell = (s: Pick<Spread, 'p99'> & { readonly n?: number }): string => (s.p99 === null ? `(n=${s.n ?? '?'})` : f(s.p99));
const pcts = (s: Spread) => `${f(s.p50)} / ${f(s.p95)} / ${p99Cell(s)} / ${f(s.max)}`;

function latencyTable(m: ModelResults): string {
  return table(
    ['cameras × fps', 'batchMaxWaitMs', 'frames', 'mean batch', 'total p50/p95/p99/max', 'batching', 'queueing', 'inference', 'publish', 'of which decide', 'of which deliver', 'added (total − inference)'],
    (m.latency ?? []).map((l) => [
      `${l.cameras} × ${f(l.cameraFps)}`,
      String(l.batchMaxWaitMs),
      String(l.framesMeasured),
      f(l.meanBatch, 2),
      pcts(l.latency.total),
      pcts(l.latency.batching),
      pcts(l.latency.queueing),
      pcts(l.latency.inference),
      pcts(l.latency.publish),
      pcts(l.latency.decide),
      pcts(l.latency.deliver),
      pcts(l.latency.added),
    ]),
  );
}

function rssRows(r: BenchResults): string[][] {
  return r.models.flatMap((m) =>
    (m.throughput ?? []).map((t: PipelineRunResult) => [m.model.label, String(t.cameras), f(t.rss.serviceMb), f(mean(t.rss.captureMb as number[])), f(t.rss.serviceMb + t.rss.captureMb.reduce((a, b) => a + b, 0))]),
  );
}

function opTable(m: ModelResults, top: number): string {
  const p = m.flops?.profile;
  if (!p) return '';
  return table(
    ['operator', 'nodes', 'ms/frame', 'share of node time', 'GFLOP/frame', 'GFLOP/s in it'],
    p.ops.slice(0, top).map((o) => [o.op, f(o.nodes, 0), f(o.msPerFrame, 2), `${f(100 * o.share)} %`, f(o.gflopPerFrame, 3), o.gflopPerFrame > 0 ? f(o.gflopPerFrame / (o.msPerFrame / 1000)) : '']),
  );
}

/** One sentence from the profile: how much operator time does no counted FLOPs, and how fast the FLOP-heavy ops run. */
function whereTimeGoes(m: ModelResults): string {
  const p = m.flops?.profile;
  if (!p) return '';
  const idle = p.ops.filter((o) => o.gflopPerFrame === 0).reduce((a, o) => a + o.share, 0);
  const rate = (ops: string[]) => {
    const sel = p.ops.filter((o) => ops.includes(o.op));
    const ms = sel.reduce((a, o) => a + o.msPerFrame, 0);
    const gflop = sel.reduce((a, o) => a + o.gflopPerFrame, 0);
    return ms > 0 && gflop > 0 ? gflop / (ms / 1000) : NaN;
  };
  return `${f(100 * idle)} % of the operator time goes to operators without counted FLOPs (softmax, elementwise, layout, normalisation); convolutions run at ${f(rate(['Conv', 'FusedConv', 'QLinearConv']))} GFLOP/s (MobileNetV2's depthwise convolutions do 9 multiply-adds per value loaded: memory-bound, not compute-bound), matrix products at ${f(rate(['MatMul', 'FusedMatMul', 'Gemm', 'QLinearMatMul']))} GFLOP/s.`;
}

export function renderConsole(r: BenchResults): string {
  const out: string[] = [`uniad-edge bench ${r.date}${r.quick ? ' (--quick)' : ''}: ${r.machine.cores} × ${r.machine.cpu}, load ${r.machine.load.map((l) => l.map((x) => x.toFixed(1)).join('/')).join(' → ')}`];
  for (const m of r.models) {
    out.push(`\n== ${m.model.label} (${m.model.path})`);
    if (m.raw) out.push('raw vs engine:', rawTable(m));
    if (m.throughput) out.push('pipeline throughput:', throughputTable(m));
    if (m.latency) out.push('latency (ms):', latencyTable(m));
    if (m.torch) out.push(`PyTorch ${m.torch.torch.torch} eager, ${m.torch.torch.threads} threads, batch ${m.torch.torch.batch}: ${f(m.torch.torch.fps, 2)} frames/s; onnxruntime ${f(m.torch.ortFps, 2)}; ratio ${f(m.torch.ortFps / m.torch.torch.fps, 2)}`);
    if (m.flops) out.push(`FLOPs: ${f(m.flops.profile.gflopPerFrame, 3)} GFLOP/frame; ${f(m.flops.achieved)} GFLOP/s at batch ${m.flops.atBatch} = ${f((100 * m.flops.achieved) / nominalPeak)} % of ${nominalPeak}`, opTable(m, 8));
  }
  if (r.brokerHop) out.push(`\nbroker hop alone (ms, p50/p95/p99/max): every ${f(r.brokerHop.gapMs)} ms ${pcts(r.brokerHop.atGap)}; back to back ${pcts(r.brokerHop.backToBack)}`);
  if (r.images) out.push(`images ${r.images.width}×${r.images.height}: heatmap ${f(r.images.heatmapMs)} ms; PNG adaptive ${f(r.images.adaptive.ms)} ms ${f(r.images.adaptive.kb, 0)} KB, Paeth ${f(r.images.paeth.ms)} ms ${f(r.images.paeth.kb, 0)} KB`);
  if (r.peak) out.push(`\npeak FP32: derived ${f(r.peak.derived)} GFLOP/s (${f(r.peak.clockGHz, 2)} GHz), nominal ${r.peak.nominal}, MatMul 1024³ in onnxruntime ${f(r.peak.gemm)}`);
  if (r.tuning) out.push('\ntuning (demo):', table(['setting', 'frames/s', 'default frames/s', 'ratio'], r.tuning.map((t) => [t.name, f(t.fps), f(t.baselineFps), f(t.fps / t.baselineFps, 2)])));
  if (r.policy) out.push('\nbatch policy (demo):', policyTable(r));
  if (r.tiles) out.push('\ntiles (demo):', tilesTable(r));
  if (r.gpu) out.push(r.gpu.device ? `\nGPU ${r.gpu.device}: ${r.gpu.rows.map((x) => `${x.preset}/${x.precision}/b${x.batch} ${f(x.fps)}`).join(', ')}` : `\nno GPU: ${r.gpu.reason}`);
  out.push('\ntargets:', table(['target', 'measured', 'met'], targetRows(r).map((t) => [t.target, t.measured, t.met === null ? '-' : t.met ? 'yes' : 'NO'])));
  return out.join('\n');
}

function tilesTable(r: BenchResults): string {
  return table(
    ['tiles a frame', 'camera image', 'frames/s', 'tiles/s', 'mean batch (tiles)', 'paced at frames/s', 'frames timed', 'total p50 / p95 / p99 / max', 'inference p50 (last run)'],
    (r.tiles ?? []).map((t) => [
      String(t.tiles), `${t.width}×${t.height}`, f(t.capacity.fps, 2), f(t.capacity.fps * t.tiles), f(t.capacity.meanBatch, 2),
      t.paced ? f(t.paced.cameraFps, 2) : 'n/a', t.paced ? String(t.paced.framesMeasured) : 'n/a', t.paced ? pcts(t.paced.latency.total) : 'n/a', t.paced ? f(t.paced.latency.inference.p50) : 'n/a',
    ]),
  );
}

/** Section 9: what tiles cost. Rendered alone too (`npm run bench -- --only tiles` prints it). */
export function tilesSection(r: BenchResults): string[] {
  return [
    'One `test:` camera whose whole image is one region cut into tiles of the demo model\'s 224 × 224 input at the camera\'s',
    'own scale, overlapping by 32 px (docs/tiles.md), through the real service (capture process, inference worker, embedded',
    'broker, subscriber). **frames/s**: the camera sends 200 tiles a second (at most 60 frames), faster than the model',
    'scores, and this is what the pipeline decides per second meanwhile; the frames it sheds are captured and given verdicts',
    'on the same cores, so on a loaded machine this falls below what a camera at the pipeline\'s own rate gets decided.',
    '**tiles/s** = frames/s × tiles. Latency (ms, capture → verdict received): the same camera paced at half that rate, over',
    'the frames timed in its 15 s (few at many tiles a frame: there p95 and p99 are one or two frames). Every run holds at',
    'most batchMaxSize tiles; a frame\'s tiles may span runs, and it is decided after its last.',
    '',
    r.tiles ? tilesTable(r) : '',
    '',
  ];
}

function policyTable(r: BenchResults): string {
  return table(
    ['batchMaxSize', 'batchMaxWaitMs', 'frames/s', 'never scored', 'mean batch', 'total p50', 'total p99', 'batching p99', 'queueing p99'],
    (r.policy ?? []).map((p) => [String(p.batchMaxSize), String(p.batchMaxWaitMs), f(p.run.fps), String(p.run.unscored), f(p.run.meanBatch, 2), f(p.run.latency.total.p50), p99Cell(p.run.latency.total), p99Cell(p.run.latency.batching), p99Cell(p.run.latency.queueing)]),
  );
}

/** Why the shipped defaults are what they are, from this run's policy points. */
function policyVerdict(r: BenchResults): string {
  const at = (size: number, wait: number) => r.policy?.find((p) => p.batchMaxSize === size && p.batchMaxWaitMs === wait)?.run;
  const noWait = at(8, 0);
  const waited = at(8, 20);
  const single = at(1, 0);
  if (!noWait) return '';
  return [
    'Shipped defaults (src/config.ts): **batchMaxSize 8, batchMaxWaitMs 0**. A frame that finds the model idle is scored at once;',
    'frames that arrive while it is busy wait anyway and go together in the next batch (inspect.ts), so batches grow with the load',
    'without a timer, and a wait adds its whole length to every frame that arrives at an idle model (the batching column).',
    waited ? `In this run a 20 ms wait gave a median of ${f(waited.latency.total.p50)} ms and p99 ${p99Cell(waited.latency.total)} ms against ${f(noWait.latency.total.p50)} and ${p99Cell(noWait.latency.total)} without (mean batch ${f(waited.meanBatch, 2)} vs ${f(noWait.meanBatch, 2)}).` : '',
    single ? `batchMaxSize 1: ${f(single.fps)} frames/s, ${single.unscored} never scored; 8: ${f(noWait.fps)}, ${noWait.unscored}.` : '',
    'On the loaded shared box one 8-second run of a policy differs from the next by more than the policies differ from each other',
    '(the p99 column swings by 10× between neighbouring rows), so these curves do not separate the policies; the defaults rest on',
    'the mechanism above and on section 1 (little per-frame gain beyond batch 8 on this CPU, while a larger batch makes each run,',
    'and the wait of the frames behind it, longer). Rerun on an idle box before tuning a plant from them.',
  ].filter(Boolean).join(' ');
}

/** The floor under the deliver stage, and what the images of a reject cost (broker-hop.ts, images.ts). */
function brokerHopSection(r: BenchResults): string[] {
  const hop = r.brokerHop;
  const img = r.images;
  return [
    ...(hop
      ? [
          '**The floor under deliver** (bench/broker-hop.ts): one QoS 1 message of a verdict\'s size from an MQTT.js client logged in as the',
          'service, through the embedded broker, to a subscriber, with nothing of the pipeline around it. Milliseconds, p50 / p95 / p99 / max:',
          '',
          table(['messages sent', 'publish → received'], [[`every ${f(hop.gapMs)} ms (the 1-camera frame interval)`, pcts(hop.atGap)], ['back to back', pcts(hop.backToBack)]]),
          '',
          'The same code costs more after a pause than back to back: between frames the cores idle, and what runs first after',
          'that runs cold (caches, branch predictors, and on a virtual machine the virtual CPU itself). What deliver costs beyond',
          'this row is the pipeline\'s own; what this row costs is the machine\'s, and it is a floor under the latency target.',
          '',
        ]
      : []),
    ...(img
      ? [
          `**Images of a reject** (bench/images.ts, ${img.width}×${img.height} frame, median ms): colouring the heatmap ${f(img.heatmapMs)};`,
          `PNG encoding with pngjs's default adaptive filters ${f(img.adaptive.ms)} (${f(img.adaptive.kb, 0)} KB), with the fixed Paeth filter we ship`,
          `(src/images/png-encode.ts) ${f(img.paeth.ms)} (${f(img.paeth.kb, 0)} KB). Heatmaps and feed images are made in a worker thread`,
          '(src/images/renderer.ts) and evidence in another (src/evidence/writer-worker.ts): this is CPU time beside the model, not',
          'a pause of the thread that decides and publishes verdicts.',
          '',
        ]
      : []),
  ];
}

/** Section 8: frames/s per preset, precision and batch on the GPU, or why there are none. */
function gpuSection(r: BenchResults): string[] {
  const g = r.gpu;
  const how = [
    'Our `models/` code in eager mode (models/uniad/gpu_timing.py), random weights, FP32 and FP16 (autocast) at batches 1–32;',
    "median of 10 forwards after 2 warm-ups, synchronised. It needs a Python whose torch was built with CUDA (Debian's is not):",
    '`--gpu-python` names it. On a GPU machine without the Node side, run `python3 -m models.uniad.gpu_timing > gpu.json` there',
    'and `npm run bench -- --gpu-json gpu.json` here. Nothing else in the project depends on a GPU.',
    '',
  ];
  if (!g) return [...how, 'Not measured in this run.'];
  if (g.device === null) return [...how, `No GPU in this run: ${g.reason ?? 'unknown'} (${g.python}).`];
  const presets = [...new Set(g.rows.map((x) => x.preset))];
  const batches = [...new Set(g.rows.map((x) => x.batch))].sort((a, b) => a - b);
  const at = (preset: string, precision: string, batch: number) => g.rows.find((x) => x.preset === preset && x.precision === precision && x.batch === batch);
  return [
    ...how,
    `**${g.device}**, torch ${g.torch} (${g.python}). Frames/s:`,
    '',
    table(
      ['preset', 'precision', ...batches.map((b) => `batch ${b}`)],
      presets.flatMap((p) => (['fp32', 'fp16'] as const).filter((pr) => at(p, pr, batches[0]!)).map((pr) => [p, pr, ...batches.map((b) => f(at(p, pr, b)?.fps))])),
    ),
    '',
  ];
}

/** The int8 sidecar's `quantization` note (models/uniad/quantize.py), if one is shipped. */
interface QuantNote {
  readonly fp32?: { readonly imageAuroc: number; readonly pixelAuroc: number };
  readonly int8?: { readonly imageAuroc: number; readonly pixelAuroc: number };
  readonly calibrationImages?: number;
  readonly thresholds?: string;
}

function quantSection(r: BenchResults): string[] {
  const fp32 = r.models.find((m) => m.model.label === 'demo');
  const int8 = r.models.find((m) => m.model.label === 'demo-int8');
  if (!fp32 || !int8) return ['No int8 model is shipped (models/demo/uniad-demo-int8.onnx): nothing to compare.'];
  const note = int8.model.quantization as QuantNote | undefined;
  const pct = (x: number | undefined) => (x === undefined ? 'n/a' : (100 * x).toFixed(1));
  const rows = (r.int8Pairs ?? []).map((p) => [String(p.batch), f(p.base), f(p.other), f(p.other / p.base, 2)]);
  return [
    'Made by (Python onnxruntime from pip; Debian has none):',
    '',
    '```sh',
    'python3 -m venv .cache/ortpy && .cache/ortpy/bin/pip install onnxruntime==1.30.0 onnx torch numpy pillow tqdm',
    '/usr/bin/python3 -m models.benchmark.build --out /tmp/uniad-bench',
    '/usr/bin/python3 -m models.benchmark.build --out /tmp/uniad-heldout --seed 1 --train-per-class 1 --test-per-class 120',
    '.cache/ortpy/bin/python -m models.uniad.quantize --model models/demo/uniad-demo.onnx --calibration /tmp/uniad-bench \\',
    '    --heldout /tmp/uniad-heldout --evaluate /tmp/uniad-bench --out models/demo/uniad-demo-int8.onnx',
    '```',
    '',
    'Static int8 (QDQ, per-channel int8 weights, uint8 activations, MinMax calibration on normal training images) of the',
    'backbone only; the zero pads of its stride-2 convolutions are folded into the convolutions first, so activations stay',
    'int8 through the whole backbone. The reconstruction transformer, the error map and the score stay FP32. Choosing it is',
    'one config line: `model.path: models/demo/uniad-demo-int8.onnx`.',
    '',
    'Raw `session.run` of both models, runs interleaved one by one (bench/model-pair.ts); medians:',
    '',
    table(['batch', 'FP32 frames/s', 'int8 frames/s', 'int8/FP32'], rows),
    '',
    table(
      ['benchmark test split, mean of classes', 'FP32', 'int8', 'lost (points)'],
      [
        ['image AUROC', pct(note?.fp32?.imageAuroc), pct(note?.int8?.imageAuroc), note?.fp32 && note.int8 ? f(100 * (note.fp32.imageAuroc - note.int8.imageAuroc), 2) : 'n/a'],
        ['pixel AUROC', pct(note?.fp32?.pixelAuroc), pct(note?.int8?.pixelAuroc), note?.fp32 && note.int8 ? f(100 * (note.fp32.pixelAuroc - note.int8.pixelAuroc), 2) : 'n/a'],
      ],
    ),
    '',
    `Thresholds: ${note?.thresholds ?? 'as the FP32 sidecar'}.`,
    '',
    'Why not 2×: the int8 convolutions are several times faster than the FP32 ones (compare the two profiles: `QLinearConv` here,',
    '`Conv` in section 6), but the reconstruction transformer stays FP32 on purpose (its output is compared with the features',
    'to find defects; rounding it to 8 bits would round the defects away), and softmax, matrix products, adds and layout of the',
    "transformer are then most of the time. MobileNetV2's convolutions are mostly depthwise (9 multiply-adds per value loaded),",
    "which no matrix unit speeds up: onnxruntime's int8 GEMM can use AMX/VNNI, a depthwise convolution cannot.",
    '',
    "Where the int8 model's time goes (profile, batch 8):",
    '',
    opTable(int8, 10),
    '',
    `**bf16**: ${r.bf16 === undefined ? 'not probed in this run' : r.bf16 === 'loads' ? "onnxruntime's CPU provider loads a bf16 MatMul" : `onnxruntime ${r.machine.ort}'s CPU provider has no bf16 kernels: a one-MatMul bf16 graph is refused ("${r.bf16}"), so AMX-BF16 cannot be used from onnxruntime-node on this CPU; bf16 would need another runtime (e.g. PyTorch with oneDNN) — not pursued`}.`,
  ];
}

export function renderMarkdown(r: BenchResults): string {
  const models = r.models.map((m) => `\`${m.model.label}\` (\`${m.model.path.replace(/^.*?\/(models|\.cache)\//, '$1/')}\`, sha256 ${m.model.sha256}…)`).join(', ');
  const sec = (title: string, command: string, body: string[]) => [`## ${title}`, '', `Command: \`${command}\``, '', ...body, ''].join('\n');
  const perModel = (render: (m: ModelResults) => string, has: (m: ModelResults) => boolean) =>
    r.models.filter(has).flatMap((m) => [`**${m.model.label}**`, '', render(m), '']);
  const torchRows = r.models.filter((m) => m.torch).map((m) => [m.model.label, m.torch!.torch.preset, `${m.torch!.torch.torch}, ${m.torch!.torch.threads} threads`, String(m.torch!.torch.batch), f(m.torch!.torch.fps, 2), f(m.torch!.ortFps, 2), f(m.torch!.ortFps / m.torch!.torch.fps, 2)]);
  const flopRows = r.models.filter((m) => m.flops).map((m) => {
    const fl = m.flops!;
    return [m.model.label, f(fl.profile.gflopPerFrame, 3), String(fl.atBatch), f(fl.achieved), `${f((100 * fl.achieved) / nominalPeak)} %`, r.peak ? `${f((100 * fl.achieved) / r.peak.gemm)} %` : 'n/a', f(fl.profile.nodeMsPerFrame, 2)];
  });
  return [
    '# Performance',
    '',
    'Generated by `npm run bench` (bench/index.ts) — do not edit by hand; rerun it.',
    '',
    `**This run:** ${r.date.slice(0, 16).replace('T', ' ')} UTC, ${r.machine.cores} × ${r.machine.cpu} (AVX-512, AMX), Node ${r.machine.node},`,
    `onnxruntime-node ${r.machine.ort} (CPU execution provider), models ${models}.`,
    `**Load while this ran:** load average ${r.machine.load.map((l) => l.map((x) => x.toFixed(1)).join(' / ')).join(' at the start, ')} at the end, on ${r.machine.cores} cores.`,
    'On a shared or loaded box absolute frames/s and milliseconds fall below what an idle one gives and vary run to run;',
    'ratios measured within the run (engine/raw, pipeline/raw, PyTorch/onnxruntime, int8/FP32) compare like with like.',
    r.gpu?.device ? `GPU: ${r.gpu.device} (section 8).` : `No GPU figures: ${r.gpu?.reason ?? 'the GPU section did not run'} (section 8).`,
    '',
    '## Targets (issue 13)',
    '',
    table(['target', 'measured', 'met'], targetRows(r).map((t) => [t.target, t.measured, t.met === null ? 'not judged' : t.met ? 'yes' : '**no**'])),
    '',
    '`npm run bench -- --check` runs everything and exits 1 when a target is missed.',
    '',
    sec('1. Raw onnxruntime vs the engine', 'npm run bench -- --only raw', [
      'Raw: `session.run` on this thread on tensors packed beforehand. Engine: `InferenceEngine.run` (pack the frames, transfer to',
      'the worker thread, run, transfer back). Both sessions loaded, their runs interleaved one by one; median per run.',
      '',
      ...perModel(rawTable, (m) => m.raw !== undefined),
    ]),
    sec('2. Full pipeline throughput', 'npm run bench -- --only raw,pipeline', [
      'The real service (`startService`, in its own process) with N capture processes each playing `bench/media/conveyor.mp4` (892 frames) as fast as',
      'the model takes it (a recorded file waits for the model: no frame is shed), the embedded broker, and an MQTT subscriber in the',
      `bench process counting verdicts. Shipped defaults: batchMaxSize ${r.models[0]?.throughput?.[0]?.batchMaxSize ?? 'n/a'}, batchMaxWaitMs ${r.models[0]?.throughput?.[0]?.batchMaxWaitMs ?? 'n/a'}.`,
      'pipeline/raw compares with raw frames/s at the run\'s mean batch size (interpolated between measured batch sizes). The capture',
      'processes decode H.264 on the same 2 cores, so part of the gap is decoding, not overhead.',
      '',
      ...perModel(throughputTable, (m) => m.throughput !== undefined),
    ]),
    sec('3. Latency: capture → verdict received', 'npm run bench -- --only raw,latency', [
      `Paced \`test:\` cameras, ${f(r.latencySetup?.totalFps)} frames/s in all (half of what the model does at batch 1, so a backlog does not hide the`,
      'pipeline\'s own cost). Milliseconds, p50 / p95 / p99 / max over the frames received in the window; a p99 is given only',
      `over ${minSamplesForP99} frames or more (of fewer it would be their maximum), else \`(n=…)\` stands in its place. Stages, from the stage times`,
      'every decision carries (src/types.ts `StageTimes`, `RunTimes`): **batching** capture → batch complete; **queueing** → `session.run`',
      'starts in the worker (waiting for the engine, packing, transfer); **inference** `session.run`; **publish** → verdict received by',
      'the subscriber, split into **decide** (result back to the main thread, score against the threshold) and **deliver** (sinks,',
      'offline queue on disk, broker, subscriber). Capture time has whole milliseconds (`Frame.capturedAt`), the rest',
      'sub-millisecond: batching and total read up to 1 ms high. Every frame of a test pattern scores as a reject, so these runs',
      'also archive evidence of every frame and send a heatmap a second a camera: the worst case, not a line of mostly good parts.',
      '',
      ...perModel(latencyTable, (m) => m.latency !== undefined),
      ...brokerHopSection(r),
    ]),
    sec('4. PyTorch eager reference', 'npm run bench -- --only torch', [
      'Our `models/` code in eager mode (`models/uniad/timing.py`, Debian\'s /usr/bin/python3, 2 threads), random weights, and raw',
      'onnxruntime on the ONNX export of exactly those weights, same batch.',
      '',
      table(['model', 'preset', 'PyTorch', 'batch', 'PyTorch frames/s', 'onnxruntime frames/s', 'onnxruntime/PyTorch'], torchRows),
      '',
    ]),
    sec('5. Memory (RSS) at steady state', 'npm run bench -- --only pipeline', [
      'Sampled at the end of each throughput run: the service process (main thread, inference worker, broker) and each capture process.',
      '',
      table(['model', 'cameras', 'service MB', 'capture process MB (mean)', 'total MB'], rssRows(r)),
      '',
    ]),
    sec('6. FLOPs and the FP32 floor', 'npm run bench -- --only raw,flops', [
      'FLOPs counted from onnxruntime\'s own profile (`enableProfiling`) of the graph as it runs after its fusions: 2 per multiply-add of',
      'every convolution and matrix product, from the shapes recorded per node (bench/op-profile.ts); elementwise ops, softmax and',
      'normalisation are not counted. docs/platform.md\'s figures (torch.utils.flop_counter): demo preset 0.79 GFLOP/frame, paper 4.77.',
      r.peak
        ? `FP32 peak: **${nominalPeak} GFLOP/s** (the docs/platform.md figure for these 2 cores: 2 cores × 2 AVX-512 FMA units × 16 lanes × 2 FLOP × ~3 GHz); derived from /proc/cpuinfo's ${f(r.peak.clockGHz, 2)} GHz base clock: ${f(r.peak.derived)}; a 1024³ FP32 MatMul in onnxruntime reached **${f(r.peak.gemm)} GFLOP/s** in this run (the loaded machine's practical ceiling).`
        : '',
      '',
      table(['model', 'GFLOP/frame', 'best raw batch', 'achieved GFLOP/s', `% of ${nominalPeak}`, '% of this run\'s MatMul', 'operator ms/frame (profile)'], flopRows),
      '',
      'Where the time goes (onnxruntime profile, batch 8, operators by time):',
      '',
      ...perModel((m) => [whereTimeGoes(m), '', opTable(m, 12)].join('\n'), (m) => m.flops !== undefined),
    ]),
    sec('7. int8 and bf16 (AMX)', 'npm run bench -- --only raw,flops', quantSection(r)),
    sec('8. PyTorch on a GPU', 'npm run bench -- --only gpu --gpu-python PATH', gpuSection(r)),
    sec('9. Tiles: big cameras', 'npm run bench -- --only tiles', tilesSection(r)),
    sec('Session tuning', 'npm run bench -- --only tuning', [
      'One setting changed against the shipped session options (src/pipeline/session-options.ts: intra-op threads = onnxruntime',
      'default, spinning off, graph optimisation `all`), raw `session.run` of the demo model at batch 8, runs interleaved; medians.',
      '',
      r.tuning ? table(['setting', 'frames/s', 'shipped options frames/s', 'ratio'], r.tuning.map((t) => [t.name, f(t.fps), f(t.baselineFps), f(t.fps / t.baselineFps, 2)])) : '',
      '',
    ]),
    sec('Batch policy', 'npm run bench -- --only raw,policy', [
      r.policySetup ? `${r.policySetup.cameras} paced \`test:\` cameras at ${f(r.policySetup.fps)} fps each (together half of what the ${r.policySetup.model} model does at batch 1), for each batchMaxSize × batchMaxWaitMs. Latency in ms.` : '',
      '',
      r.policy ? policyTable(r) : '',
      '',
      policyVerdict(r),
      '',
    ]),
  ].join('\n');
}
