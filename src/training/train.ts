/**
 * What `uniad-edge train` runs: from a dataset folder to a deployable model, in one go.
 *
 *   1. read and check the dataset (dataset.ts), hold out good images to calibrate on (split.ts), hash it
 *   2. Python prepare: the environment, the backbone's offline weights, every image decodes, the held-out and test
 *      images letterboxed as the runtime sees them (stage.ts)
 *   3. Python train (one process, or N under torchrun), with a progress bar; `--resume` continues the last checkpoint
 *   4. Python calibrate (score statistics for the sidecar) and export: ONNX + sidecar
 *   5. the runtime's calibrate (calibrate/calibrate.ts) sets each product's threshold on the held-out good images,
 *      and the sidecar takes those thresholds
 *   6. the runtime's evaluation (evaluation/score-folder.ts) scores the held-out split; the result goes into the
 *      sidecar's `evaluation.heldOut` and, with everything else, into the model card next to the model
 *
 * The run folder (`<out>/run/`) keeps the checkpoint, the log, the staged images and plan.json (the dataset's hash:
 * `--resume` refuses a dataset that changed since).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { calibrate } from '../calibrate/calibrate.js';
import type { Progress } from '../calibrate/progress.js';
import type { GroupResult } from '../calibrate/report.js';
import { uniadError } from '../errors.js';
import { storeInSidecar } from '../evaluation/evaluate.js';
import { scoreFolder, type FolderScore } from '../evaluation/score-folder.js';
import { packageVersion } from '../package-root.js';
import { InferenceEngine } from '../pipeline/engine.js';
import { sidecarPathFor } from '../pipeline/sidecar.js';
import type { Logger } from '../types.js';
import { modelCard } from './card.js';
import { readDataset, readProductFolders } from './dataset.js';
import { datasetHash } from './dataset-hash.js';
import { runPython, type PythonEvent } from './python.js';
import { minHeldOutImages, splitGood } from './split.js';
import { stagePlan, type StagePlan } from './stage.js';

export interface TrainOptions {
  readonly data: string;
  readonly out: string;
  readonly name: string;
  readonly version: string;
  /** A preset of models/uniad/configs.py. */
  readonly preset: string;
  /** A backbone of models/uniad/backbones (registry name) instead of the preset's. */
  readonly backbone?: string;
  /** The backbone's weights; default: the preset's offline weights. */
  readonly weights?: string;
  readonly recipe: { readonly epochs: number; readonly batchSize: number; readonly lr: number; readonly lrStep: number; readonly seed: number };
  /** Share of each product's good images held out to calibrate on; ignored with `calibrationImages`. */
  readonly holdout: number;
  /** `<dir>/<product>/*`: good images to calibrate on instead of a share of the training images. */
  readonly calibrationImages?: string;
  readonly targetFalseReject: number;
  /** A validation build for the learning curve (`<run>/curve.json`), every `evalEvery` epochs. */
  readonly validation?: { readonly data: string; readonly every: number };
  readonly nproc: number;
  readonly device?: 'cpu' | 'cuda';
  readonly threads?: number;
  readonly python: string;
  readonly resume: boolean;
  readonly allowRandomBackbone: boolean;
  readonly logger: Logger;
  /** A line for the person at the terminal (stderr). */
  readonly say: (line: string) => void;
  readonly progress?: Progress;
}

export interface TrainResult {
  readonly model: string;
  readonly card: string;
  readonly thresholds: string;
  readonly heldOut?: FolderScore;
}

interface RunRecord {
  readonly datasetSha256: string;
  readonly calibrationSha256?: string;
  readonly preset: string;
}

const sha256File = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const str = (v: unknown) => (typeof v === 'string' ? v : String(v));

function checkResume(runDir: string, record: RunRecord, resume: boolean): void {
  const planFile = join(runDir, 'plan.json');
  const checkpoint = join(runDir, 'last.pt');
  if (!resume) {
    if (existsSync(checkpoint)) throw uniadError('TRAIN_RESUME', `"${dirname(runDir)}" already holds a training run (${checkpoint}): add --resume to continue it, or give another --out`);
    return;
  }
  if (!existsSync(checkpoint)) throw uniadError('TRAIN_RESUME', `--resume: no checkpoint to continue in "${runDir}" (start without --resume)`);
  if (!existsSync(planFile)) return;
  const before = JSON.parse(readFileSync(planFile, 'utf8')) as RunRecord;
  if (before.datasetSha256 !== record.datasetSha256 || before.calibrationSha256 !== record.calibrationSha256) {
    throw uniadError('TRAIN_RESUME', `--resume: the images changed since the run started (dataset sha256 ${before.datasetSha256.slice(0, 12)}… then, ${record.datasetSha256.slice(0, 12)}… now); a model must be trained on one dataset: put the images back, or start a new run with another --out`);
  }
}

function carryOut(plan: StagePlan, stageDir: string): void {
  rmSync(stageDir, { recursive: true, force: true });
  for (const link of plan.links) {
    mkdirSync(dirname(link.path), { recursive: true });
    symlinkSync(link.target, link.path);
  }
  mkdirSync(plan.calibrationDir, { recursive: true });
}

/** The line that says where training runs, from what prepare saw. */
export function describeDevice(env: PythonEvent, o: Pick<TrainOptions, 'device' | 'nproc' | 'threads'>): string {
  const cuda = (env.cuda as string[] | undefined) ?? [];
  const torch = str(env.torch);
  const cpu = o.nproc > 1 ? `${o.nproc} processes` : `${o.threads ?? str(env.threads)} threads`;
  if (o.device === 'cpu') return `training on the CPU (--device cpu; torch ${torch}, ${cpu})`;
  if (cuda.length > 0) return `training on CUDA: ${o.nproc > 1 ? `${o.nproc} processes, ` : ''}${cuda.slice(0, o.nproc).join(', ')} (torch ${torch})`;
  if (o.device === 'cuda') return `--device cuda, but torch ${torch} sees no CUDA device: training will fail`;
  return `training on the CPU: torch ${torch} sees no CUDA device (${cpu})`;
}

/** The Python arguments of the training step. */
function trainArgs(o: TrainOptions, plan: StagePlan, runDir: string, weights: string | null, products: readonly string[]): string[] {
  const r = o.recipe;
  const global = [...(o.threads !== undefined ? ['--threads', String(o.threads)] : []), ...(o.device ? ['--device', o.device] : [])];
  const train = [
    'train', '--data', plan.trainRoot, '--out', runDir, '--cache-dir', join(runDir, 'cache'), '--classes', ...products,
    '--preset', o.preset, ...(o.backbone ? ['--backbone', o.backbone] : []), ...(weights ? ['--weights', weights] : []),
    '--epochs', String(r.epochs), '--batch-size', String(r.batchSize), '--lr', String(r.lr), '--lr-step', String(r.lrStep),
    '--seed', String(r.seed), '--checkpoint-every', '1', '--progress', 'json',
    ...(o.validation ? ['--val-data', o.validation.data, '--eval-every', String(o.validation.every)] : []),
    ...(o.resume ? ['--resume'] : []), ...(o.allowRandomBackbone ? ['--allow-random-backbone'] : []),
  ];
  return o.nproc > 1 ? ['-m', 'models.uniad.launch', '--nproc', String(o.nproc), ...global, ...train] : ['-m', 'models.uniad', ...global, ...train];
}

export async function trainModel(o: TrainOptions): Promise<TrainResult> {
  const started = Date.now();
  const dataset = readDataset(resolve(o.data));
  const products = dataset.products.map((p) => p.name);
  const splits = splitGood(dataset.products, o.calibrationImages === undefined ? o.holdout : 0);
  let calibration: Map<string, readonly string[]>;
  if (o.calibrationImages === undefined) {
    calibration = new Map(splits.map((s) => [s.product, s.heldOut]));
  } else {
    calibration = readProductFolders(resolve(o.calibrationImages));
    const short = products.filter((p) => (calibration.get(p)?.length ?? 0) < minHeldOutImages).map((p) => `${p} has ${calibration.get(p)?.length ?? 0} in ${o.calibrationImages}`);
    if (short.length > 0) throw uniadError('DATASET_TOO_FEW', short.join(', '), `${minHeldOutImages} good images to calibrate on`);
  }

  const out = resolve(o.out);
  const runDir = join(out, 'run');
  const stageDir = join(runDir, 'stage');
  const log = join(runDir, 'train.log');
  const datasetFiles = dataset.products.flatMap((p) => [...p.good, ...p.test.flatMap((t) => (t.mask ? [t.path, t.mask] : [t.path]))]);
  const record: RunRecord = {
    datasetSha256: datasetHash(dataset.root, datasetFiles),
    ...(o.calibrationImages !== undefined ? { calibrationSha256: datasetHash(resolve(o.calibrationImages), products.flatMap((p) => calibration.get(p) ?? [])) } : {}),
    preset: o.preset,
  };
  checkResume(runDir, record, o.resume);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'plan.json'), `${JSON.stringify(record, null, 2)}\n`);

  const plan = stagePlan(dataset.root, stageDir, dataset.products, splits, calibration);
  carryOut(plan, stageDir);
  const trainImages = splits.flatMap((s) => s.train);
  const calibrating = plan.counts.reduce((a, c) => a + c.calibration, 0);
  o.say(`${products.length} products, ${trainImages.length} training images, ${calibrating} ${o.calibrationImages === undefined ? 'held out to calibrate' : `to calibrate from ${o.calibrationImages}`}; checking every image`);
  const planFile = join(runDir, 'prepare.json');
  writeFileSync(planFile, JSON.stringify({ preset: o.preset, backbone: o.backbone ?? null, weights: o.weights ?? null, check: trainImages, stage: plan.items }));
  const [env] = await runPython({ step: 'prepare', python: o.python, args: ['-m', 'models.uniad.prepare', '--plan', planFile], log });
  if (env === undefined) throw uniadError('TRAIN_FAILED', 'prepare', 'no answer', '(no output)', log);
  const unreadable = (env.unreadable as { path: string; why: string }[]) ?? [];
  if (unreadable.length > 0) {
    const list = unreadable.slice(0, 10).map((u) => `"${u.path}" (${u.why})`).join('; ');
    throw uniadError('DATASET_IMAGE', String(unreadable.length), `${list}${unreadable.length > 10 ? `; and ${unreadable.length - 10} more` : ''}`);
  }
  o.say(describeDevice(env, o));

  const trainStart = Date.now();
  let device = env;
  await runPython({
    step: 'train',
    python: o.python,
    args: trainArgs(o, plan, runDir, (env.weights as string | null) ?? null, products),
    log,
    onEvent: (event) => {
      if (event.event === 'device') device = event;
      if (event.event === 'warning') o.say(str(event.message));
      if (event.event === 'features') o.say(`extracting the backbone's features of ${str(event.images)} images (once; cached for --resume)`);
      if (event.event === 'step') o.progress?.(Number(event.step), Number(event.steps), `epoch ${str(event.epoch)}/${str(event.epochs)}`);
      if (event.event === 'curve') o.say(`epoch ${str(event.epoch)}: validation AUROC image ${Number(event.image).toFixed(1)}, pixel ${Number(event.pixel).toFixed(1)}`);
      if (event.event === 'epoch') o.logger.info('epoch done', { epoch: event.epoch, loss: event.loss });
    },
  });
  const trainingSeconds = (Date.now() - trainStart) / 1000;

  const checkpoint = join(runDir, 'last.pt');
  const pyCalibration = join(runDir, 'calibration.json');
  const model = join(out, `${o.name}.onnx`);
  const global = o.threads !== undefined ? ['--threads', String(o.threads)] : [];
  o.say('exporting the model');
  await runPython({ step: 'score statistics', python: o.python, args: ['-m', 'models.uniad', ...global, 'calibrate', '--checkpoint', checkpoint, '--data', plan.calibrationMvtec, '--split', 'train', '--default-rule', 'max-class', '--cache-dir', join(runDir, 'cache'), '--out', pyCalibration], log });
  await runPython({ step: 'export', python: o.python, args: ['-m', 'models.uniad', 'export', '--checkpoint', checkpoint, '--calibration', pyCalibration, '--out', model, '--name', o.name, '--version', o.version], log });

  o.say(`calibrating each product's threshold for a false-reject rate of ${o.targetFalseReject} on the held-out good images, through the runtime`);
  const thresholdsFile = join(out, 'thresholds.json');
  const calibrated = await calibrate({
    modelPath: model, imagesDir: plan.calibrationDir, ...(plan.defectsDir ? { defectsDir: plan.defectsDir } : {}), target: o.targetFalseReject,
    out: thresholdsFile, providers: ['cpu'], threads: o.threads ?? 0, logger: o.logger,
  });
  const thresholds = calibrated.thresholds.products;
  const defaultThreshold = Math.max(...Object.values(thresholds));
  const sidecarFile = sidecarPathFor(model);
  const sidecar = JSON.parse(readFileSync(sidecarFile, 'utf8')) as Record<string, unknown> & { training: Record<string, unknown> };
  sidecar.thresholds = thresholds;
  sidecar.defaultThreshold = defaultThreshold;
  sidecar.training.calibration = {
    rule: `false-reject rate ${o.targetFalseReject} on held-out good images (uniad-edge calibrate)`, split: o.calibrationImages === undefined ? `held out: ${o.holdout} of each product's train/good` : `--calibration-images ${resolve(o.calibrationImages)}`,
    defaultRule: 'highest per-product threshold', images: Object.fromEntries(plan.counts.map((c) => [c.product, c.calibration])), report: basename(calibrated.reportPath),
  };
  sidecar.training.dataset = { path: dataset.root, sha256: record.datasetSha256, ...(record.calibrationSha256 ? { calibrationSha256: record.calibrationSha256 } : {}), images: plan.counts };
  sidecar.training.run = { tool: `uniad-edge ${packageVersion()} train`, device: str(device.device ?? 'cpu'), name: str(device.name ?? 'cpu'), processes: Number(device.processes ?? 1), torch: str(device.torch ?? env.torch), trainingSeconds: Math.round(trainingSeconds) };
  writeFileSync(sidecarFile, `${JSON.stringify(sidecar, null, 2)}\n`);

  let heldOut: FolderScore | undefined;
  if (plan.counts.some((c) => c.testDefective > 0)) {
    o.say('scoring the held-out split through the runtime');
    const engine = await InferenceEngine.open({ modelPath: model, providers: ['cpu'], threads: o.threads ?? 0, logger: o.logger });
    try {
      heldOut = await scoreFolder(engine, plan.evaluationDir);
    } finally {
      await engine.close();
    }
    storeInSidecar(model, 'evaluation', { heldOut });
  }

  const training = sidecar.training as { recipe?: Record<string, unknown>; epochs?: number; finalLoss?: number | null; backboneWeights?: string; config?: { backbone?: string } };
  const cardFile = join(out, `${o.name}.md`);
  writeFileSync(cardFile, modelCard({
    name: o.name, version: o.version, createdAt: new Date().toISOString(), tool: str((sidecar.training.run as Record<string, unknown>).tool),
    model: { file: basename(model), bytes: statSync(model).size, sha256: sha256File(model), sidecar: basename(sidecarFile) },
    dataset: { path: dataset.root, sha256: record.datasetSha256, ...(o.calibrationImages !== undefined ? { calibrationPath: resolve(o.calibrationImages), calibrationSha256: record.calibrationSha256! } : {}) },
    images: plan.counts, preset: o.preset,
    backbone: { name: training.config?.backbone ?? 'unknown', weights: training.backboneWeights ?? 'unknown' },
    recipe: training.recipe ?? {}, epochs: training.epochs ?? o.recipe.epochs, finalLoss: training.finalLoss ?? null,
    device: { name: str(device.name ?? 'cpu'), processes: Number(device.processes ?? 1), torch: str(env.torch) },
    seconds: { total: (Date.now() - started) / 1000, training: trainingSeconds },
    thresholds: { target: o.targetFalseReject, groups: calibrated.groups as GroupResult[], defaultThreshold, report: relative(out, calibrated.reportPath) },
    ...(heldOut ? { heldOut } : {}),
    ...(o.validation && existsSync(join(runDir, 'curve.json')) ? { validation: { path: resolve(o.validation.data), points: JSON.parse(readFileSync(join(runDir, 'curve.json'), 'utf8')) as { epoch: number; image: number; pixel: number }[] } } : {}),
  }));
  return { model, card: cardFile, thresholds: thresholdsFile, ...(heldOut ? { heldOut } : {}) };
}
