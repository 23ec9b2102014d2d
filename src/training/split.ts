/**
 * Which good images train the model and which are held out to calibrate (and, without a test split, to measure) it.
 * Pure.
 *
 * The minimum a product needs, and why:
 * - 20 to train: the model learns a product's normal look only from these; with fewer it cannot tell normal
 *   variation from a defect (MVTec AD's smallest product has 60; 100 or more is better).
 * - 10 held out: the fewest from which a threshold says anything. With n held-out normal images, a new normal part
 *   scores above the highest of them with probability 1/(n + 1): 9 % at 10, and the calibration report says how
 *   many images the target false-reject rate really needs.
 *
 * The held-out images are picked by a hash of their file name, not at random: the same dataset always gives the same
 * split, on any machine, whatever order the files are listed in.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { uniadError } from '../errors.js';
import type { Product } from './dataset.js';

export const minTrainImages = 20;
export const minHeldOutImages = 10;

export interface Split {
  readonly product: string;
  readonly train: readonly string[];
  readonly heldOut: readonly string[];
}

const rank = (path: string) => createHash('sha256').update(basename(path)).digest('hex');

/** How many of `count` good images `share` holds out: the share, at least `minHeldOutImages`. */
export function heldOutCount(count: number, share: number): number {
  return Math.max(minHeldOutImages, Math.round(count * share));
}

/**
 * Splits every product's good images: `share` of them held out (at least `minHeldOutImages`), or none when the
 * calibration images come from elsewhere (`share` 0). DATASET_TOO_FEW names every product short of the minimum.
 */
export function splitGood(products: readonly Product[], share: number): Split[] {
  const short = products.flatMap((p) => {
    const needed = share > 0 ? minTrainImages + minHeldOutImages : minTrainImages;
    const train = share > 0 ? p.good.length - heldOutCount(p.good.length, share) : p.good.length;
    return p.good.length < needed || train < minTrainImages ? [`${p.name} has ${p.good.length}`] : [];
  });
  if (short.length > 0) {
    const needed = share > 0 ? `${minTrainImages + minHeldOutImages} (${minTrainImages} to train, ${minHeldOutImages} held out to calibrate)` : `${minTrainImages}`;
    throw uniadError('DATASET_TOO_FEW', short.join(', '), needed);
  }
  return products.map((p) => {
    if (share <= 0) return { product: p.name, train: p.good, heldOut: [] };
    const ranked = p.good.map((path) => ({ path, key: rank(path) })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const held = new Set(ranked.slice(0, heldOutCount(p.good.length, share)).map((r) => r.path));
    return { product: p.name, train: p.good.filter((g) => !held.has(g)), heldOut: p.good.filter((g) => held.has(g)) };
  });
}
