/**
 * The folder layout `calibrate` reads (README, "Calibrate"):
 *
 *   <images>/<product>/*.png            normal images of a product, any camera
 *   <images>/<product>/<camera>/*.png   normal images of one camera: a threshold for that camera and product
 *                                       (they count for the product's threshold too)
 *   <defects>/<product>/**\/*.png        defective images of a product, any depth (e.g. one folder per defect kind)
 *
 * Files are listed in name order, so a run is repeatable. Only `.png` files count; other files are ignored.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { uniadError } from '../errors.js';

export interface ProductImages {
  readonly product: string;
  /** Every normal image of the product, camera folders included. */
  readonly normals: readonly string[];
  /** Camera id → its normal images. */
  readonly cameras: ReadonlyMap<string, readonly string[]>;
}

const isPng = (name: string) => name.toLowerCase().endsWith('.png');

function entries(dir: string): { files: string[]; dirs: string[] } {
  const files: string[] = [];
  const dirs: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(dir, e.name);
    const kind = e.isSymbolicLink() ? statSync(path) : e;
    if (kind.isDirectory()) dirs.push(e.name);
    else if (kind.isFile() && isPng(e.name)) files.push(path);
  }
  return { files, dirs };
}

function readable(dir: string, option: string): void {
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) throw uniadError('USAGE', `${option} "${dir}" is not a folder (give a folder with one sub-folder per product)`);
}

/** Normal images per product (and camera). */
export function listNormalImages(dir: string): ProductImages[] {
  readable(dir, '--images');
  const products = entries(dir).dirs.map((product) => {
    const { files, dirs } = entries(join(dir, product));
    const cameras = new Map(dirs.map((camera) => [camera, entries(join(dir, product, camera)).files] as const).filter(([, f]) => f.length > 0));
    return { product, normals: [...files, ...[...cameras.values()].flat()], cameras };
  });
  const found = products.filter((p) => p.normals.length > 0);
  if (found.length === 0) throw uniadError('USAGE', `--images "${dir}" has no <product>/*.png (one sub-folder per product, PNG images in it)`);
  return found;
}

function allPngs(dir: string): string[] {
  const { files, dirs } = entries(dir);
  return [...files, ...dirs.flatMap((d) => allPngs(join(dir, d)))];
}

/** Defective images per product, from any depth below the product's folder. */
export function listDefectImages(dir: string): Map<string, string[]> {
  readable(dir, '--defects');
  return new Map(entries(dir).dirs.map((product) => [product, allPngs(join(dir, product))] as const).filter(([, f]) => f.length > 0));
}
