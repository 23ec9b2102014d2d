/**
 * Where a training run puts the images each step reads, under `<run>/stage/`. Pure: it returns the plan; train.ts
 * carries it out (links made here, images written by Python's prepare step).
 *
 *   train/<product>/train/good/<file>      links to the dataset's images that train (only when some are held out)
 *   calibration/<product>/<n>-<name>.png   held-out good images, letterboxed PNGs: what `uniad-edge calibrate` reads
 *   calibration-mvtec/<product>/train/good -> ../../../calibration/<product>   the same for models.uniad calibrate
 *   evaluation/<product>/test/<kind>/<n>-<name>.png, ground_truth/<kind>/<n>-<name>_mask.png   the held-out split
 *   defects/<product>/<kind> -> ../../evaluation/<product>/test/<kind>   defective images for the calibration report
 *
 * The held-out split is each product's `test/` images; a product without `test/good` is measured on its calibration
 * images as the good ones (the card says so).
 */
import { basename, extname, join } from 'node:path';
import type { Product } from './dataset.js';
import type { Split } from './split.js';

/** An image for Python to letterbox to the model's input and write as PNG (a mask: nearest sampling, 0/255). */
export interface StageItem {
  readonly src: string;
  readonly dst: string;
  readonly mask?: true;
}

export interface Link {
  readonly target: string;
  readonly path: string;
}

export interface StageCounts {
  readonly product: string;
  /** Good images trained on, and held out to calibrate on. */
  readonly train: number;
  readonly calibration: number;
  /** Test images scored for the held-out results. */
  readonly testGood: number;
  readonly testDefective: number;
  /** Whether the good test images are the calibration images (the product has no test/good). */
  readonly goodFromCalibration: boolean;
}

export interface StagePlan {
  /** The MVTec-layout root training reads: the dataset itself when nothing is held out. */
  readonly trainRoot: string;
  readonly links: readonly Link[];
  readonly items: readonly StageItem[];
  readonly calibrationDir: string;
  readonly calibrationMvtec: string;
  readonly evaluationDir: string;
  /** Undefined when no product has a defective test image. */
  readonly defectsDir?: string;
  readonly counts: readonly StageCounts[];
}

const staged = (index: number, path: string) => `${String(index).padStart(4, '0')}-${basename(path, extname(path))}`;

/**
 * The plan for `products`, split as `splits`; `calibration` maps each product to its calibration images (the held-out
 * ones, or those of --calibration-images).
 */
export function stagePlan(root: string, stage: string, products: readonly Product[], splits: readonly Split[], calibration: ReadonlyMap<string, readonly string[]>): StagePlan {
  const holdsOut = splits.some((s) => s.heldOut.length > 0);
  const dirs = {
    train: join(stage, 'train'),
    calibration: join(stage, 'calibration'),
    calibrationMvtec: join(stage, 'calibration-mvtec'),
    evaluation: join(stage, 'evaluation'),
    defects: join(stage, 'defects'),
  };
  const links: Link[] = [];
  const items: StageItem[] = [];
  const counts: StageCounts[] = [];
  for (const product of products) {
    const split = splits.find((s) => s.product === product.name)!;
    if (holdsOut) for (const path of split.train) links.push({ target: path, path: join(dirs.train, product.name, 'train', 'good', basename(path)) });
    const calib = calibration.get(product.name) ?? [];
    calib.forEach((path, i) => items.push({ src: path, dst: join(dirs.calibration, product.name, `${staged(i, path)}.png`) }));
    links.push({ target: join('..', '..', '..', 'calibration', product.name), path: join(dirs.calibrationMvtec, product.name, 'train', 'good') });

    const testGood = product.test.filter((t) => t.kind === 'good');
    const defective = product.test.filter((t) => t.kind !== 'good');
    const goodFromCalibration = testGood.length === 0;
    const good = goodFromCalibration ? calib.map((path) => ({ path, kind: 'good' })) : testGood;
    [...good, ...defective].forEach((image, i) => {
      const name = staged(i, image.path);
      items.push({ src: image.path, dst: join(dirs.evaluation, product.name, 'test', image.kind, `${name}.png`) });
      if ('mask' in image && image.mask !== undefined) items.push({ src: image.mask, dst: join(dirs.evaluation, product.name, 'ground_truth', image.kind, `${name}_mask.png`), mask: true });
    });
    for (const kind of new Set(defective.map((t) => t.kind))) {
      links.push({ target: join('..', '..', 'evaluation', product.name, 'test', kind), path: join(dirs.defects, product.name, kind) });
    }
    counts.push({ product: product.name, train: split.train.length, calibration: calib.length, testGood: good.length, testDefective: defective.length, goodFromCalibration });
  }
  return {
    trainRoot: holdsOut ? dirs.train : root,
    links,
    items,
    calibrationDir: dirs.calibration,
    calibrationMvtec: dirs.calibrationMvtec,
    evaluationDir: dirs.evaluation,
    ...(counts.some((c) => c.testDefective > 0) ? { defectsDir: dirs.defects } : {}),
    counts,
  };
}
