/**
 * A product's good images in the dataset, `<dataset>/<product>/train/good/NNNN.png`, as collect and operator feedback
 * add to them: numbered on from the highest number there, never overwriting, written whole (to a temporary name,
 * then renamed) so that an interrupted collect leaves no half PNG for training to choke on.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { uniadError } from '../errors.js';
import type { RgbImage } from '../geometry/letterbox.js';
import { encodeRgbPng } from '../images/png-encode.js';
import { imageExtensions, layoutProblems } from '../training/dataset.js';

/** A product's name as a folder of the dataset and a class of the model. */
const productName = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** USAGE for a product name that cannot be a folder of the dataset. */
export function checkProductName(product: string, field: string): void {
  if (!productName.test(product) || product.length > 100) {
    throw uniadError('USAGE', `${field} must be a product name of letters, digits, "_", "-" and "." (not first), at most 100 characters, got "${product}"`);
  }
}

/** DATASET_LAYOUT when `root` exists and holds images or folders where training would not find them. */
export function checkDatasetFolder(root: string): void {
  if (!existsSync(root)) return;
  if (!statSync(root).isDirectory()) throw uniadError('DATASET_LAYOUT', root, 'not a folder (give the dataset folder: <dataset>/<product>/train/good/*.png)');
  const problems = layoutProblems(root);
  if (problems.length > 0) throw uniadError('DATASET_LAYOUT', root, problems.join('; '));
}

const numbered = /^(\d+)\.[^.]+$/;

/** The images in `dir` (any extension training reads), in name order; none for a folder that is not there. */
export function imagesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.') && (imageExtensions as readonly string[]).includes(name.slice(name.lastIndexOf('.')).toLowerCase()))
    .sort()
    .map((name) => join(dir, name));
}

/** A folder of numbered images, NNNN.png, that new images join. */
export class NumberedFolder {
  private next: number;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.next = 1 + Math.max(0, ...readdirSync(dir).map((name) => Number(numbered.exec(name)?.[1] ?? 0)));
  }

  /** Writes `png` (encoded) as the next number; returns its path. */
  addPng(png: Buffer): string {
    const path = join(this.dir, `${String(this.next++).padStart(4, '0')}.png`);
    const partial = join(this.dir, `.${process.pid}.partial`);
    writeFileSync(partial, png);
    renameSync(partial, path);
    return path;
  }

  add(image: RgbImage): string {
    return this.addPng(encodeRgbPng(image.width, image.height, image.pixels));
  }
}

/** `<dataset>/<product>/train/good`: the folder training reads a product's normal images from. */
export const goodFolder = (dataset: string, product: string): string => join(dataset, product, 'train', 'good');
