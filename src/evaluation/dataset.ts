/**
 * The test images of a folder in MVTec AD's layout (what models.benchmark.build and models.benchmark.unseen_defects
 * write), read as the runtime's frames: RGB bytes, tightly packed, letterboxed to the model's input as the cameras'
 * frames are and as calibration and training fit theirs (geometry/letterbox.ts; masks with their images).
 *
 *     <root>/<class>/test/<good|defect kind>/<name>.png
 *     <root>/<class>/ground_truth/<defect kind>/<name>_mask.png   (absent for good images = no defect pixel)
 *     <root>/benchmark.json                                        (optional: generator, seed, sizes)
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { PNG } from 'pngjs';
import { uniadError } from '../errors.js';
import { letterbox, letterboxMask, type RgbImage } from '../geometry/letterbox.js';
import type { Crop } from '../types.js';

/** One test image: its class, label and where its mask is. */
export interface TestImage {
  readonly path: string;
  readonly cls: string;
  /** `good` or the defect kind (the folder name). */
  readonly kind: string;
  readonly maskPath?: string;
}

/** What the builder recorded about the folder (benchmark.json), when it is there. */
export interface BuildInfo {
  readonly generator?: string;
  readonly seed?: number;
  readonly size?: number;
  readonly testPerClass?: number;
  readonly defectKinds?: readonly string[];
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** Every `<class>/test/*` PNG under `root`, classes and files sorted; `classes` restricts the classes. */
export function testImages(root: string, classes?: readonly string[]): TestImage[] {
  if (!isDir(root)) throw uniadError('EVAL_DATA', root, 'no such folder');
  const found = readdirSync(root).filter((c) => isDir(join(root, c, 'test'))).sort();
  const missing = (classes ?? []).filter((c) => !found.includes(c));
  if (missing.length > 0) throw uniadError('EVAL_DATA', root, `no ${missing.map((c) => `${c}/test`).join(', ')} folder (classes here: ${found.join(', ') || 'none'})`);
  const names = classes ?? found;
  if (names.length === 0) throw uniadError('EVAL_DATA', root, 'no <class>/test folders');
  const images: TestImage[] = [];
  for (const cls of names) {
    for (const kind of readdirSync(join(root, cls, 'test')).sort()) {
      const dir = join(root, cls, 'test', kind);
      if (!isDir(dir)) continue;
      for (const file of readdirSync(dir).filter((f) => extname(f).toLowerCase() === '.png').sort()) {
        const mask = join(root, cls, 'ground_truth', kind, `${basename(file, '.png')}_mask.png`);
        images.push({ path: join(dir, file), cls, kind, ...(kind !== 'good' && existsSync(mask) ? { maskPath: mask } : {}) });
      }
    }
  }
  return images;
}

/** benchmark.json's fields that say how the folder was built; empty when the file is absent. */
export function buildInfo(root: string): BuildInfo {
  const file = join(root, 'benchmark.json');
  if (!existsSync(file)) return {};
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const pick = <T>(key: string, ok: (v: unknown) => boolean) => (ok(doc[key]) ? { [key]: doc[key] as T } : {});
  const num = (v: unknown) => typeof v === 'number';
  return {
    ...pick<string>('generator', (v) => typeof v === 'string'),
    ...pick<number>('seed', num),
    ...pick<number>('size', num),
    ...(num(doc.test_per_class) ? { testPerClass: doc.test_per_class as number } : {}),
    ...(Array.isArray(doc.defect_kinds) ? { defectKinds: doc.defect_kinds as string[] } : {}),
  };
}

/** The image as it is: RGB, 3 bytes a pixel, no padding (pngjs decodes to RGBA). */
export function readImage(path: string): RgbImage {
  const png = PNG.sync.read(readFileSync(path));
  const rgb = new Uint8Array(png.width * png.height * 3);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgb[i] = png.data[j]!;
    rgb[i + 1] = png.data[j + 1]!;
    rgb[i + 2] = png.data[j + 2]!;
  }
  return { width: png.width, height: png.height, pixels: rgb };
}

/** The image as the runtime's frame pixels: RGB, letterboxed. */
export function readRgb(path: string, width: number, height: number): Uint8Array {
  return letterbox(readImage(path), width, height).pixels;
}

/**
 * The defect mask, 1 where the first channel is non-zero (as models/uniad/data.py binarises it), letterboxed like
 * its image (of `crop` of it, for a region); all 0 without a file.
 */
export function readMask(image: TestImage, width: number, height: number, crop?: Crop): Uint8Array {
  if (image.maskPath === undefined) return new Uint8Array(width * height);
  const png = PNG.sync.read(readFileSync(image.maskPath));
  const r = crop ?? { x: 0, y: 0, width: png.width, height: png.height };
  const values = new Uint8Array(r.width * r.height);
  for (let y = 0; y < r.height; y++) for (let x = 0; x < r.width; x++) values[y * r.width + x] = png.data[((r.y + y) * png.width + r.x + x) * 4]! > 0 ? 1 : 0;
  return letterboxMask({ width: r.width, height: r.height, values }, width, height);
}
