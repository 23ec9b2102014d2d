/**
 * The dataset `uniad-edge train` reads, in the layout of MVTec AD (what models/uniad/data.py trains on and
 * `uniad-edge collect` writes):
 *
 *   <dataset>/<product>/train/good/*.png            normal images of a product (PNG, JPEG, BMP or TIFF)
 *   <dataset>/<product>/test/<good|defect kind>/*   optional: images to measure the model on
 *   <dataset>/<product>/ground_truth/<kind>/<name>_mask.png   optional: where the defect is
 *
 * Read and checked here before anything is trained: every layout problem is reported at once, with the move that fixes
 * it. Folders starting with a dot (feature caches) are not products. Files are listed in name order.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { uniadError } from '../errors.js';

/** What data.py reads as images (models/uniad/data.py IMAGE_EXTENSIONS). */
export const imageExtensions = ['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff'] as const;

/** One test image: its defect kind (`good` for a normal one) and its mask, when there is one. */
export interface TestImage {
  readonly path: string;
  readonly kind: string;
  readonly mask?: string;
}

export interface Product {
  readonly name: string;
  /** `train/good` images. */
  readonly good: readonly string[];
  readonly test: readonly TestImage[];
}

export interface Dataset {
  readonly root: string;
  readonly products: readonly Product[];
}

const isImage = (name: string) => (imageExtensions as readonly string[]).includes(extname(name).toLowerCase());

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function listing(dir: string): { files: string[]; dirs: string[] } {
  const files: string[] = [];
  const dirs: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    if (isDir(path)) dirs.push(name);
    else if (isImage(name)) files.push(path);
  }
  return { files, dirs };
}

const images = (dir: string) => (isDir(dir) ? listing(dir).files : []);

function testImages(productDir: string): TestImage[] {
  const testDir = join(productDir, 'test');
  if (!isDir(testDir)) return [];
  return listing(testDir).dirs.flatMap((kind) =>
    images(join(testDir, kind)).map((path) => {
      const mask = join(productDir, 'ground_truth', kind, `${basename(path, extname(path))}_mask.png`);
      return { path, kind, ...(kind !== 'good' && statSync(mask, { throwIfNoEntry: false })?.isFile() ? { mask } : {}) };
    }),
  );
}

const few = (names: readonly string[]) => (names.length <= 5 ? names.join(', ') : `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`);

/** Every image and folder of the dataset at `root` (a folder) in the wrong place, each with the move that fixes it. */
export function layoutProblems(root: string): string[] {
  return layout(root).problems;
}

function layout(root: string): { problems: string[]; products: Product[] } {
  const top = listing(root);
  const problems: string[] = [];
  if (top.files.length > 0) {
    problems.push(`it holds ${top.files.length} images directly (${few(top.files.map((f) => basename(f)))}); each product needs its own folder: mkdir -p ${root}/<product>/train/good && mv ${root}/*.png ${root}/<product>/train/good/`);
  }
  const products: Product[] = [];
  for (const name of top.dirs) {
    const dir = join(root, name);
    const loose = images(dir);
    const hasGood = isDir(join(dir, 'train', 'good'));
    if (loose.length > 0) problems.push(`${name}/ holds ${loose.length} images directly; training reads ${name}/train/good/: mkdir -p ${dir}/train/good && mv ${dir}/*.* ${dir}/train/good/`);
    else if (!hasGood) problems.push(`${name}/ has no train/good folder (found: ${few(listing(dir).dirs) || 'nothing'}); put its normal images in ${name}/train/good/`);
    if (hasGood) products.push({ name, good: images(join(dir, 'train', 'good')), test: testImages(dir) });
  }
  return { problems, products };
}

/** Reads the dataset at `root`; DATASET_LAYOUT lists every folder in the wrong place, DATASET_EMPTY a dataset with no image. */
export function readDataset(root: string): Dataset {
  if (!isDir(root)) throw uniadError('DATASET_LAYOUT', root, 'not a folder (give the dataset folder: <dataset>/<product>/train/good/*.png)');
  const { problems, products } = layout(root);
  if (problems.length > 0) throw uniadError('DATASET_LAYOUT', root, problems.join('; '));
  if (products.every((p) => p.good.length === 0)) throw uniadError('DATASET_EMPTY', root);
  return { root, products };
}

/** `<dir>/<product>/*` images per product (calibration images from another folder than the dataset). */
export function readProductFolders(dir: string): Map<string, string[]> {
  if (!isDir(dir)) throw uniadError('USAGE', `--calibration-images "${dir}" is not a folder (give a folder of good images, one sub-folder per product: <dir>/<product>/*.png)`);
  return new Map(listing(dir).dirs.map((product) => [product, images(join(dir, product))] as const));
}
