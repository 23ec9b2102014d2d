/** The dataset `uniad-edge train` reads: the layout, every misplaced folder in one error, the split and the hash. */
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDataset, readProductFolders } from '../../src/training/dataset.js';
import { datasetHash } from '../../src/training/dataset-hash.js';
import { heldOutCount, minHeldOutImages, minTrainImages, splitGood } from '../../src/training/split.js';
import { writeDataset, writePng } from './dataset-fixture.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'uniad-dataset-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error, none was thrown');
}

const grey = (path: string) => writePng(path, 8, () => [128, 128, 128]);

describe('reading a dataset', () => {
  it('should read each product\'s good images, test images by kind and the masks that exist, and skip dot folders', () => {
    const root = tempDir();
    writeDataset(root, { stripes: { good: 3, testGood: 2, testDefective: 2 }, checker: { good: 2 } }, 16);
    rmSync(join(root, 'stripes', 'ground_truth', 'hole', '001_mask.png'));
    mkdirSync(join(root, '.uniad-cache'));
    writeFileSync(join(root, 'stripes', 'train', 'good', 'notes.txt'), 'not an image');
    const dataset = readDataset(root);
    expect(dataset.products.map((p) => p.name)).toEqual(['checker', 'stripes']);
    const stripes = dataset.products[1]!;
    expect(stripes.good.map((g) => g.slice(root.length))).toEqual(['/stripes/train/good/000.png', '/stripes/train/good/001.png', '/stripes/train/good/002.png']);
    expect(stripes.test.map((t) => [t.kind, t.path.slice(root.length), t.mask?.slice(root.length)])).toEqual([
      ['good', '/stripes/test/good/000.png', undefined],
      ['good', '/stripes/test/good/001.png', undefined],
      ['hole', '/stripes/test/hole/000.png', '/stripes/ground_truth/hole/000_mask.png'],
      ['hole', '/stripes/test/hole/001.png', undefined],
    ]);
    expect(dataset.products[0]!.test).toEqual([]);
  });

  it('should give DATASET_LAYOUT listing every misplaced folder at once, each with the move that fixes it', () => {
    const root = tempDir();
    grey(join(root, 'loose.png'));
    grey(join(root, 'bolt', 'a.png'));
    grey(join(root, 'nut', 'good', 'b.png'));
    grey(join(root, 'washer', 'train', 'good', 'c.png'));
    const error = caught(() => readDataset(root)) as Error;
    expect(error).toMatchObject({ code: 'DATASET_LAYOUT' });
    expect(error.message).toContain(`train: dataset "${root}": it holds 1 images directly (loose.png); each product needs its own folder: mkdir -p ${root}/<product>/train/good`);
    expect(error.message).toContain(`bolt/ holds 1 images directly; training reads bolt/train/good/: mkdir -p ${root}/bolt/train/good && mv ${root}/bolt/*.* ${root}/bolt/train/good/`);
    expect(error.message).toContain('nut/ has no train/good folder (found: good); put its normal images in nut/train/good/');
    expect(error.message).not.toContain('washer');
  });

  it('should give DATASET_LAYOUT for a dataset that is not a folder', () => {
    const path = join(tempDir(), 'missing');
    expect(caught(() => readDataset(path))).toMatchObject({ code: 'DATASET_LAYOUT', message: expect.stringContaining(`"${path}": not a folder`) });
  });

  it('should give DATASET_EMPTY for a folder with no product, and for products without one good image', () => {
    const empty = tempDir();
    expect(caught(() => readDataset(empty))).toMatchObject({ code: 'DATASET_EMPTY', message: expect.stringContaining(`dataset "${empty}" has no images`) });
    mkdirSync(join(empty, 'bolt', 'train', 'good'), { recursive: true });
    expect(caught(() => readDataset(empty))).toMatchObject({ code: 'DATASET_EMPTY' });
  });

  it('should read calibration images as <dir>/<product>/* and refuse a path that is not a folder', () => {
    const dir = tempDir();
    grey(join(dir, 'bolt', 'a.png'));
    grey(join(dir, 'bolt', 'b.jpg'));
    expect([...readProductFolders(dir)].map(([p, files]) => [p, files.length])).toEqual([['bolt', 2]]);
    expect(caught(() => readProductFolders(join(dir, 'nope')))).toMatchObject({ code: 'USAGE', message: expect.stringContaining('--calibration-images') });
  });
});

describe('the held-out split', () => {
  const product = (name: string, n: number) => ({ name, good: Array.from({ length: n }, (_, i) => `/d/${name}/train/good/${i}.png`), test: [] });

  it('should hold out the share, at least the minimum, the same images every time, and train on the rest', () => {
    expect(heldOutCount(100, 0.2)).toBe(20);
    expect(heldOutCount(30, 0.2)).toBe(minHeldOutImages);
    const [a] = splitGood([product('bolt', 100)], 0.2);
    const [b] = splitGood([product('bolt', 100)], 0.2);
    expect(a!.heldOut).toHaveLength(20);
    expect(a!.train).toHaveLength(80);
    expect(new Set([...a!.train, ...a!.heldOut]).size).toBe(100);
    expect(b).toEqual(a);
    expect(a!.heldOut).not.toEqual(product('bolt', 100).good.slice(0, 20));
  });

  it('should hold nothing out when the calibration images come from elsewhere', () => {
    expect(splitGood([product('bolt', minTrainImages)], 0)).toEqual([{ product: 'bolt', train: product('bolt', minTrainImages).good, heldOut: [] }]);
  });

  it('should give DATASET_TOO_FEW naming every product short of 20 to train and 10 held out', () => {
    const error = caught(() => splitGood([product('bolt', 29), product('nut', 30), product('washer', 3)], 0.2)) as Error;
    expect(error).toMatchObject({ code: 'DATASET_TOO_FEW' });
    expect(error.message).toContain('too few images: bolt has 29, washer has 3; a product needs at least 30 (20 to train, 10 held out to calibrate)');
    expect(caught(() => splitGood([product('bolt', 19)], 0))).toMatchObject({ code: 'DATASET_TOO_FEW', message: expect.stringContaining('bolt has 19; a product needs at least 20') });
  });
});

describe('the dataset hash', () => {
  it('should change when an image is renamed or changed, and not when the dataset is copied elsewhere', () => {
    const root = tempDir();
    writeDataset(root, { stripes: { good: 3 } }, 16);
    const files = (r: string) => ['000', '001', '002'].map((n) => join(r, 'stripes', 'train', 'good', `${n}.png`));
    const hash = datasetHash(root, files(root));
    const copy = join(tempDir(), 'copy');
    cpSync(root, copy, { recursive: true });
    expect(datasetHash(copy, files(copy))).toBe(hash);
    renameSync(join(copy, 'stripes', 'train', 'good', '002.png'), join(copy, 'stripes', 'train', 'good', '009.png'));
    expect(datasetHash(copy, [...files(copy).slice(0, 2), join(copy, 'stripes', 'train', 'good', '009.png')])).not.toBe(hash);
    grey(join(root, 'stripes', 'train', 'good', '001.png'));
    expect(datasetHash(root, files(root))).not.toBe(hash);
  });
});
