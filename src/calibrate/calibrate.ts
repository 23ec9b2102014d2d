/**
 * `uniad-edge calibrate`: scores normal (and defective) images with the runtime's own inference engine (the worker
 * and onnxruntime session the service uses), sets each product's (and camera's) threshold for a target false-reject
 * rate, and writes the thresholds file, a markdown report and a PNG of each product's score distributions.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { ProviderName } from '../config.js';
import { uniadError } from '../errors.js';
import { InferenceEngine } from '../pipeline/engine.js';
import type { Frame, Logger, ThresholdsFile } from '../types.js';
import { listDefectImages, listNormalImages } from './image-folders.js';
import { letterbox } from './letterbox.js';
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
  readonly logger: Logger;
  readonly progress?: Progress;
}

export interface CalibrationResult {
  readonly thresholds: ThresholdsFile;
  readonly groups: readonly GroupResult[];
  readonly reportPath: string;
  readonly plotPaths: readonly string[];
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
  const scores = new Map<string, number>();
  try {
    const { width, height } = engine.sidecar.input;
    const jobs = products.flatMap((p) => [...p.normals, ...(defects.get(p.product) ?? [])].map((path) => ({ path, product: p.product })));
    const batchSize = opts.batchSize ?? 8;
    for (let i = 0; i < jobs.length; i += batchSize) {
      const batch = jobs.slice(i, i + batchSize);
      const frames: Frame[] = batch.map((job, j) => {
        let image;
        try {
          image = letterbox(readPngRgb(job.path), width, height);
        } catch (err) {
          throw uniadError('CALIBRATE', `cannot read "${job.path}" as a PNG: ${(err as Error).message}`);
        }
        return { camera: 'calibrate', line: 'calibrate', product: job.product, seq: i + j, capturedAt: 0, width, height, pixels: image.pixels };
      });
      const inferences = await engine.run(frames);
      inferences.forEach((inf, j) => {
        if (!Number.isFinite(inf.score)) throw uniadError('CALIBRATE', `the model scored "${batch[j]!.path}" ${inf.score} (not a finite number); check the model`);
        scores.set(batch[j]!.path, inf.score);
      });
      opts.progress?.(Math.min(i + batchSize, jobs.length), jobs.length, batch[batch.length - 1]!.product);
    }
  } finally {
    await engine.close();
  }

  const outPath = resolve(opts.out);
  const outDir = dirname(outPath);
  const stem = basename(outPath).replace(/\.json$/i, '');
  mkdirSync(outDir, { recursive: true });
  const scored = (paths: readonly string[]) => paths.map((p) => scores.get(p)!);
  const groups: GroupResult[] = [];
  const plotPaths: string[] = [];
  const file: { products: Record<string, number>; cameras: Record<string, Record<string, number>> } = { products: {}, cameras: {} };

  for (const p of products) {
    const defectScores = scored(defects.get(p.product) ?? []);
    const group = (camera: string | undefined, paths: readonly string[]): GroupResult => {
      const normals = scored(paths);
      const threshold = falseRejectThreshold(normals, target);
      const ok = supported(normals.length, target);
      if (!ok) logger.warn('too few normal images for the target false-reject rate; the threshold is just above the highest score seen', { product: p.product, camera, images: normals.length, needed: imagesNeeded(target), target });
      return {
        product: p.product,
        ...(camera === undefined ? {} : { camera }),
        normals: normals.length,
        threshold,
        falseReject: rejectRate(normals, threshold),
        supported: ok,
        ...(defectScores.length > 0 ? { defects: { n: defectScores.length, recall: rejectRate(defectScores, threshold), best: bestF1(normals, defectScores) } } : {}),
      };
    };
    const product = group(undefined, p.normals);
    const plotFile = `${stem}-${p.product}.png`;
    const plot = renderScorePlot({ normals: scored(p.normals), defects: defectScores, threshold: product.threshold });
    writeFileSync(join(outDir, plotFile), plot.png);
    plotPaths.push(join(outDir, plotFile));
    groups.push({ ...product, plot: { file: plotFile, range: plot.range } });
    file.products[p.product] = product.threshold;
    for (const [camera, paths] of p.cameras) {
      const g = group(camera, paths);
      groups.push(g);
      (file.cameras[camera] ??= {})[p.product] = g.threshold;
    }
  }

  const thresholds: ThresholdsFile = { model: engine.modelId, targetFalseReject: target, ...file };
  writeFileSync(outPath, `${JSON.stringify(thresholds, null, 2)}\n`);
  const reportPath = join(outDir, `${stem}.md`);
  const report = calibrationReport({ model: engine.modelId, target, images: opts.imagesDir, defects: opts.defectsDir, groups, createdAt: new Date().toISOString() });
  writeFileSync(reportPath, report);
  return { thresholds, groups, reportPath, plotPaths };
}
