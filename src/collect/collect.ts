/**
 * `uniad-edge collect`: good frames of each product into the dataset training reads (`<dataset>/<product>/train/good/
 * NNNN.png`), through the quality gates (gates/), up to a target count a product, with progress and a summary.
 * The frames come from a camera through the runtime's own capture (camera-frames.ts: crop and letterbox exactly
 * as the service sees them) or from the evidence archive's good samples (archive-samples.ts). The images already
 * in a product's folder count towards its target and are the first "kept" frames the duplicate gate compares with,
 * so a second run adds only new pictures.
 *
 * Folder collect/: collecting a dataset and operator feedback into it. It imports sources/ (capture), geometry/,
 * images/ (PNG), evidence/ (the archive's entries), training/ (the dataset's layout) and calibrate/ (PNG reading,
 * progress): never the wiring, sinks/, broker/, http/ or pipeline/.
 */
import { EMPTY, lastValueFrom, NEVER, takeUntil, takeWhile, tap, type Observable } from 'rxjs';
import { readPngRgb } from '../calibrate/read-image.js';
import type { Progress } from '../calibrate/progress.js';
import type { RgbImage } from '../geometry/letterbox.js';
import type { Logger } from '../types.js';
import { fingerprint } from './gates/duplicate.js';
import { grayContent } from './gates/gray.js';
import { judgeFrame, type GateLimits, type GateName } from './gates/judge.js';
import { goodFolder, imagesIn, NumberedFolder } from './product-folder.js';
import { noRejects, type ProductSummary, type StopReason } from './summary.js';

/** One frame to judge, of a product. */
export interface CollectFrame {
  readonly product: string;
  readonly image: RgbImage;
}

export interface CollectOptions {
  readonly dataset: string;
  /** Where the frames come from, for the summary: the camera's source, or the archive. */
  readonly source: string;
  /** Good images a product should have; a product that has them takes no more frames. */
  readonly target: number;
  /** Frames a product may be shown before the run gives up on it (a line standing still, a camera out of focus). */
  readonly maxFrames: number;
  readonly limits: GateLimits;
  /** The products to collect: the run ends once each reached its target. Absent: every product the frames bring. */
  readonly products?: readonly string[];
  /** Ends the run early (Ctrl-C): what was kept stays, and the summary says "interrupted". */
  readonly stop?: Observable<unknown>;
  readonly progress?: Progress;
  readonly logger: Logger;
  readonly now?: () => number;
}

interface ProductRun {
  readonly folder: NumberedFolder;
  readonly prints: Float32Array[];
  readonly startedAt: number;
  images: number;
  seen: number;
  kept: number;
  readonly rejected: Record<GateName, number>;
  stopped?: StopReason;
}

/** The fingerprints of the images already in a product's folder: a new frame must differ from them too. */
function existingPrints(paths: readonly string[], logger: Logger): Float32Array[] {
  return paths.flatMap((path) => {
    try {
      return [fingerprint(grayContent(readPngRgb(path)))];
    } catch (err) {
      // not a PNG this reader takes (a JPEG put there by hand): it cannot be compared, training still reads it
      logger.debug('collect: an image in the dataset is not compared for duplicates', { path, error: (err as Error).message });
      return [];
    }
  });
}

/** Runs `frames` through the gates into the dataset until every product reached its target; resolves to a summary a product. */
export function collectFrames(frames: Observable<CollectFrame>, opts: CollectOptions): Promise<ProductSummary[]> {
  const now = opts.now ?? Date.now;
  const runs = new Map<string, ProductRun>();
  const open = (product: string): ProductRun => {
    let run = runs.get(product);
    if (run === undefined) {
      const dir = goodFolder(opts.dataset, product);
      const existing = imagesIn(dir);
      run = { folder: new NumberedFolder(dir), prints: existingPrints(existing, opts.logger), startedAt: now(), images: existing.length, seen: 0, kept: 0, rejected: noRejects() };
      if (run.images >= opts.target) run.stopped = 'target reached';
      runs.set(product, run);
    }
    return run;
  };
  for (const product of opts.products ?? []) open(product);
  const report = (product: string, run: ProductRun) => {
    const rejected = Object.entries(run.rejected).filter(([, n]) => n > 0).map(([g, n]) => `${g} ${n}`);
    opts.progress?.(Math.min(run.images, opts.target), opts.target, `${product}: ${run.seen} frames seen${rejected.length > 0 ? `, rejected ${rejected.join(', ')}` : ''}`);
  };
  const allDone = () => opts.products !== undefined && [...runs.values()].every((r) => r.stopped !== undefined);

  const summaries = (ended: StopReason): ProductSummary[] =>
    [...runs].map(([product, run]) => ({
      product,
      source: opts.source,
      startedAt: new Date(run.startedAt).toISOString(),
      endedAt: new Date(now()).toISOString(),
      target: opts.target,
      images: run.images,
      seen: run.seen,
      kept: run.kept,
      rejected: run.rejected,
      stopped: run.stopped ?? ended,
      limits: opts.limits,
    }));

  let interrupted = false;
  const stop = (opts.stop ?? NEVER).pipe(tap(() => void (interrupted = true)));
  const take = (frame: CollectFrame) => {
    const run = open(frame.product);
    if (run.stopped !== undefined) return;
    run.seen++;
    const judged = judgeFrame(frame.image, run.prints, opts.limits);
    if (judged.keep) {
      run.folder.add(frame.image);
      run.prints.push(judged.print);
      run.kept++;
      run.images++;
    } else {
      run.rejected[judged.gate]++;
      opts.logger.debug(`collect: frame rejected by the ${judged.gate} gate`, { product: frame.product, why: judged.why });
    }
    if (run.images >= opts.target) run.stopped = 'target reached';
    else if (run.seen >= opts.maxFrames) run.stopped = 'frame limit';
    report(frame.product, run);
  };
  // takeWhile after the frame is taken: the last frame a run needs ends the capture
  const collected = allDone() ? EMPTY : frames.pipe(takeUntil(stop), tap(take), takeWhile(() => !allDone()));
  return lastValueFrom(collected, { defaultValue: undefined }).then(() => summaries(interrupted ? 'interrupted' : allDone() ? 'target reached' : 'source ended'));
}
