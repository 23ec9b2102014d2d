/**
 * Small datasets in the layout `uniad-edge train` reads, written as PNGs: each product a pattern (stripes, checks)
 * with noise, its defects a bright square with a mask. Seeded, so every run writes the same bytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';

const patterns: Record<string, (x: number, y: number) => boolean> = {
  stripes: (x) => Math.sin(x / 3) > 0,
  checker: (x, y) => (Math.floor(x / 8) + Math.floor(y / 8)) % 2 === 0,
};

/** A small linear congruential generator: the same images on every machine. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function writePng(path: string, size: number, pixel: (x: number, y: number) => [number, number, number]): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const png = new PNG({ width: size, height: size });
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) png.data.set([...pixel(x, y), 255], (y * size + x) * 4);
  }
  writeFileSync(path, PNG.sync.write(png));
}

export interface FixtureCounts {
  readonly good: number;
  readonly testGood?: number;
  readonly testDefective?: number;
}

/** Writes `<root>/<product>/train/good`, `test/good`, `test/hole` and `ground_truth/hole` for each product. */
export function writeDataset(root: string, counts: Readonly<Record<string, FixtureCounts>>, size = 64): void {
  const random = rng(7);
  for (const [product, c] of Object.entries(counts)) {
    const pattern = patterns[product] ?? patterns.stripes!;
    const image = (path: string, defect?: { x: number; y: number }) =>
      writePng(path, size, (x, y) => {
        if (defect && x >= defect.x && x < defect.x + 16 && y >= defect.y && y < defect.y + 16) return [255, 255, 255];
        const on = pattern(x, y) ? 1 : 0;
        const n = Math.floor(random() * 30);
        return [on * 180 + n, on * 120 + n, on * 60 + n];
      });
    const name = (i: number) => `${String(i).padStart(3, '0')}.png`;
    for (let i = 0; i < c.good; i++) image(join(root, product, 'train', 'good', name(i)));
    for (let i = 0; i < (c.testGood ?? 0); i++) image(join(root, product, 'test', 'good', name(i)));
    for (let i = 0; i < (c.testDefective ?? 0); i++) {
      const at = { x: 8 + Math.floor(random() * (size - 32)), y: 8 + Math.floor(random() * (size - 32)) };
      image(join(root, product, 'test', 'hole', name(i)), at);
      writePng(join(root, product, 'ground_truth', 'hole', `${String(i).padStart(3, '0')}_mask.png`), size, (x, y) =>
        x >= at.x && x < at.x + 16 && y >= at.y && y < at.y + 16 ? [255, 255, 255] : [0, 0, 0],
      );
    }
  }
}
