/**
 * `uniad-edge calibrate`: scores normal (and defective) images with the runtime's own inference engine (the worker
 * and onnxruntime session the service uses), sets each product's (and camera's) threshold for a target false-reject
 * rate, and writes the thresholds file, a markdown report and a PNG of each product's score distributions.
 *
 * A camera with regions (the service config's `cameras[].regions`, given with --config) is calibrated per region:
 * each of its images (a whole camera image, its folder named after the camera) is cut into its regions and tiles
 * exactly as the runtime cuts them (tiles/region-image.ts, tiles/frame.ts), scored by the model's rule on the
 * stitched map, and each region gets its threshold (the file's `regions` entry).
 *
 * Folder calibrate/: this command. It may reuse sources/, pipeline/, images/ (the plot's PNG), tiles/ and config.ts,
 * so it scores as the runtime does; it never imports sinks/, broker/, http/, evidence/, evaluation/, doctor/ or the
 * wiring.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { ProviderName } from '../config.js';
import { uniadError } from '../errors.js';
import { letterbox, type RgbImage } from '../geometry/letterbox.js';
import { InferenceEngine } from '../pipeline/engine.js';
import { scorePoolOf } from '../pipeline/sidecar.js';
import { inputCount, modelInputs, regionInferences } from '../tiles/frame.js';
import { cameraLayouts, type CameraRegions } from '../tiles/layout.js';
import { regionFrame } from '../tiles/region-image.js';
import type { Frame, Inference, Logger, RegionLayout, ThresholdsFile } from '../types.js';
import { listDefectImages, listNormalImages } from './image-folders.js';
import type { Progress } from './progress.js';
import { bestF1, falseRejectThreshold, imagesNeeded, rejectRate, supported } from './quantile.js';
import { readPngRgb } from './read-image.js';
import { calibrationReport, type GroupResult } from './report.js';
import { renderScorePlot } from './score-plot.js';

export interface CalibrateOptions {
  readonly modelPath: string;
  readonly imagesDir: string;
  readonly defectsDir?: string;
  readonly target: number;
  /** The thresholds file; the report (`.md`) and plots (`-<product>.png`) go next to it. */
  readonly out: string;
  readonly providers: readonly ProviderName[];
  readonly threads?: number;
  readonly batchSize?: number;
  /** The service config's cameras: those with regions are calibrated per region. */
  readonly cameras?: readonly (CameraRegions & { readonly size?: { readonly width: number; readonly height: number } | undefined })[];
  readonly logger: Logger;
  readonly progress?: Progress;
}

export interface CalibrationResult {
  readonly thresholds: ThresholdsFile;
  readonly groups: readonly GroupResult[];
  readonly reportPath: string;
  readonly plotPaths: readonly string[];
}

/** One image to score: a whole camera image of a camera with regions (`layouts`), or an image letterboxed whole. */
export interface Job {
  readonly path: string;
  readonly product: string;
  readonly camera?: string;
  readonly layouts?: readonly RegionLayout[];
}

function readImage(path: string): RgbImage {
  try {
    return readPngRgb(path);
  } catch (err) {
    throw uniadError('CALIBRATE', `cannot read "${path}" as a PNG: ${(err as Error).message}`);
  }
}

/**
 * The camera with regions whose folder `path` lies in (normal images: `<product>/<camera>/`, defective ones:
 * `<product>/<camera>/**`); undefined for an image of no such camera.
 */
function regionCamera(layouts: ReadonlyMap<string, unknown>, root: string | undefined, product: string, path: string): string | undefined {
  if (root === undefined) return undefined;
  const parts = relative(join(root, product), path).split(sep);
  return parts.length > 1 && layouts.has(parts[0]!) ? parts[0] : undefined;
}

/**
 * The frame the runtime would inspect for `job`: its regions cut as the camera's are, or the image letterboxed.
 * Its model inputs are the runtime's to the byte for a camera image in RGB (test/tiles/parity.test.ts).
 */
export function frameOf(job: Job, seq: number, input: { width: number; height: number }, size?: { width: number; height: number }): Frame {
  const image = readImage(job.path);
  const base = { camera: job.camera ?? 'calibrate', line: 'calibrate', product: job.product, seq, capturedAt: 0 };
  if (job.layouts === undefined) return { ...base, ...input, pixels: letterbox(image, input.width, input.height).pixels };
  if (size !== undefined && (image.width !== size.width || image.height !== size.height)) {
    throw uniadError('CALIBRATE', `"${job.path}" is ${image.width}x${image.height}, but camera ${job.camera} delivers ${size.width}x${size.height} (cameras[].size): its regions are cut from whole camera images`);
  }
  return regionFrame(image, job.layouts, base);
}

/**
 * Scores: an image's score, or one a region for an image of a camera with regions. The model inputs of several
 * images (their tiles) share batches of `batchSize`, as the runtime's do.
 */
async function scoreJobs(engine: InferenceEngine, jobs: readonly Job[], opts: CalibrateOptions, sizes: ReadonlyMap<string, { width: number; height: number }>): Promise<Map<string, number[]>> {
  const batchSize = opts.batchSize ?? 8;
  const scorePool = scorePoolOf(engine.sidecar);
  const scores = new Map<string, number[]>();
  let pending: { job: Job; frame: Frame; inputs: Frame[]; results: Inference[] }[] = [];
  let queued = 0;
  const flush = async () => {
    const inputs = pending.flatMap((p) => p.inputs);
    const owners = pending.flatMap((p) => p.inputs.map(() => p));
    for (let i = 0; i < inputs.length; i += batchSize) {
      const results = await engine.run(inputs.slice(i, i + batchSize));
      results.forEach((r, k) => owners[i + k]!.results.push(r));
    }
    for (const { job, frame, results } of pending) {
      const bad = results.find((r) => !Number.isFinite(r.score));
      if (bad !== undefined) throw uniadError('CALIBRATE', `the model scored "${job.path}" ${bad.score} (not a finite number); check the model`);
      scores.set(job.path, frame.regions === undefined ? [results[0]!.score] : regionInferences(frame, results, scorePool).map((r) => r.score));
    }
    pending = [];
    queued = 0;
  };
  for (const [i, job] of jobs.entries()) {
    const frame = frameOf(job, i, engine.sidecar.input, job.camera === undefined ? undefined : sizes.get(job.camera));
    pending.push({ job, frame, inputs: modelInputs(frame), results: [] });
    queued += inputCount(frame);
    if (queued >= batchSize) await flush();
    opts.progress?.(i + 1, jobs.length, job.product);
  }
  await flush();
  return scores;
}

export async function calibrate(opts: CalibrateOptions): Promise<CalibrationResult> {
  const { target, logger } = opts;
  if (!(target > 0 && target < 1)) throw uniadError('USAGE', `--target-false-reject must be a rate in (0, 1), e.g. 0.001, got ${target}`);
  const products = listNormalImages(opts.imagesDir);
  const defects = opts.defectsDir === undefined ? new Map<string, string[]>() : listDefectImages(opts.defectsDir);
  for (const product of defects.keys()) {
    if (!products.some((p) => p.product === product)) logger.warn('defective images of a product with no normal images are ignored', { product });
  }

  const engine = await InferenceEngine.open({ modelPath: opts.modelPath, providers: opts.providers, threads: opts.threads ?? 0, logger });
  let scores: Map<string, number[]>;
  const layouts = new Map<string, RegionLayout[]>();
  try {
    for (const cam of opts.cameras ?? []) {
      const own = cameraLayouts(cam, engine.sidecar.input);
      if (own !== undefined) layouts.set(cam.id, own);
    }
    if (layouts.size > 0 && scorePoolOf(engine.sidecar) === undefined) throw uniadError('CALIBRATE', `the model ${engine.modelId} does not say its score rule (sidecar scorePool), which regions need; re-export it`);
    const sizes = new Map((opts.cameras ?? []).flatMap((c) => (c.size === undefined ? [] : [[c.id, c.size] as const])));
    const job = (root: string | undefined, product: string, path: string): Job => {
      const camera = regionCamera(layouts, root, product, path);
      return { path, product, ...(camera === undefined ? {} : { camera, layouts: layouts.get(camera)! }) };
    };
    const jobs = products.flatMap((p) => [...p.normals.map((path) => job(opts.imagesDir, p.product, path)), ...(defects.get(p.product) ?? []).map((path) => job(opts.defectsDir, p.product, path))]);
    scores = await scoreJobs(engine, jobs, opts, sizes);
  } finally {
    await engine.close();
  }

  const outPath = resolve(opts.out);
  const outDir = dirname(outPath);
  const stem = basename(outPath).replace(/\.json$/i, '');
  mkdirSync(outDir, { recursive: true });
  const groups: GroupResult[] = [];
  const plotPaths: string[] = [];
  const file: { products: Record<string, number>; cameras: Record<string, Record<string, number>>; regions: Record<string, Record<string, Record<string, number>>> } = { products: {}, cameras: {}, regions: {} };

  for (const p of products) {
    const defectPaths = defects.get(p.product) ?? [];
    const plainNormals = p.normals.filter((path) => regionCamera(layouts, opts.imagesDir, p.product, path) === undefined);
    const plainDefects = defectPaths.filter((path) => regionCamera(layouts, opts.defectsDir, p.product, path) === undefined);
    const group = (key: { product: string; camera?: string; region?: string }, normals: readonly number[], defectScores: readonly number[]): GroupResult => {
      const threshold = falseRejectThreshold(normals, target);
      const ok = supported(normals.length, target);
      if (!ok) logger.warn('too few normal images for the target false-reject rate; the threshold is just above the highest score seen', { ...key, images: normals.length, needed: imagesNeeded(target), target });
      return {
        ...key,
        normals: normals.length,
        threshold,
        falseReject: rejectRate(normals, threshold),
        supported: ok,
        ...(defectScores.length > 0 ? { defects: { n: defectScores.length, recall: rejectRate(defectScores, threshold), best: bestF1(normals, defectScores) } } : {}),
      };
    };
    const plot = (name: string, g: GroupResult, normals: readonly number[], defectScores: readonly number[]): GroupResult => {
      const plotFile = `${stem}-${name}.png`;
      const drawn = renderScorePlot({ normals, defects: defectScores, threshold: g.threshold });
      writeFileSync(join(outDir, plotFile), drawn.png);
      plotPaths.push(join(outDir, plotFile));
      return { ...g, plot: { file: plotFile, range: drawn.range } };
    };
    const first = (paths: readonly string[]) => paths.map((path) => scores.get(path)![0]!);
    if (plainNormals.length > 0) {
      const product = group({ product: p.product }, first(plainNormals), first(plainDefects));
      groups.push(plot(p.product, product, first(plainNormals), first(plainDefects)));
      file.products[p.product] = product.threshold;
      for (const [camera, paths] of p.cameras) {
        if (layouts.has(camera)) continue;
        const g = group({ product: p.product, camera }, first(paths), first(plainDefects));
        groups.push(g);
        (file.cameras[camera] ??= {})[p.product] = g.threshold;
      }
    }
    for (const [camera, paths] of p.cameras) {
      const own = layouts.get(camera);
      if (own === undefined) continue;
      const cameraDefects = defectPaths.filter((path) => regionCamera(layouts, opts.defectsDir, p.product, path) === camera);
      own.forEach((layout, r) => {
        const product = layout.product ?? p.product;
        const normals = paths.map((path) => scores.get(path)![r]!);
        const defectScores = cameraDefects.map((path) => scores.get(path)![r]!);
        const g = group({ product, camera, region: layout.name }, normals, defectScores);
        groups.push(plot(`${product}-${camera}-${layout.name}`, g, normals, defectScores));
        ((file.regions[camera] ??= {})[layout.name] ??= {})[product] = g.threshold;
      });
    }
  }

  const { regions, ...rest } = file;
  const thresholds: ThresholdsFile = { model: engine.modelId, targetFalseReject: target, ...rest, ...(Object.keys(regions).length > 0 ? { regions } : {}) };
  writeFileSync(outPath, `${JSON.stringify(thresholds, null, 2)}\n`);
  const reportPath = join(outDir, `${stem}.md`);
  const report = calibrationReport({ model: engine.modelId, target, images: opts.imagesDir, defects: opts.defectsDir, groups, createdAt: new Date().toISOString() });
  writeFileSync(reportPath, report);
  return { thresholds, groups, reportPath, plotPaths };
}
