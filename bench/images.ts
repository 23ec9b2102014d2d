/**
 * What the images of a reject cost the CPU: colouring a heatmap over a 640×480 frame (src/images/heatmap.ts) and encoding the
 * frame as PNG, with pngjs's default adaptive filters (all five tried on every row) and with the fixed Paeth filter
 * every image of ours uses (src/images/png-encode.ts). Heatmaps and feed images are made in a worker thread
 * (src/images/renderer.ts), evidence in another (src/evidence/writer-worker.ts): these milliseconds are CPU time beside the model,
 * no longer a pause of the thread that publishes verdicts.
 *
 * The frame is a 640×480 crop of docs/benchmark.png (photographed textures of the benchmark), so the encoder meets
 * real detail rather than a flat test pattern.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { heatmapPixels } from '../src/images/heatmap.js';
import { encodeRgbPng } from '../src/images/png-encode.js';
import { packageRoot } from '../src/package-root.js';
import { percentile } from './stats.js';

export interface ImageCosts {
  readonly width: number;
  readonly height: number;
  /** Colouring the heatmap over the frame, before encoding. */
  readonly heatmapMs: number;
  readonly adaptive: { readonly ms: number; readonly kb: number };
  readonly paeth: { readonly ms: number; readonly kb: number };
}

const W = 640;
const H = 480;

function frame(): Uint8Array {
  const sheet = PNG.sync.read(readFileSync(join(packageRoot, 'docs/benchmark.png')));
  const rgb = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) rgb[(y * W + x) * 3 + c] = sheet.data[(y * sheet.width + x) * 4 + c]!;
  return rgb;
}

function timed<T>(runs: number, f: () => T): { ms: number; last: T } {
  const times: number[] = [];
  let last!: T;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    last = f();
    times.push(performance.now() - t);
  }
  return { ms: percentile(times, 50), last };
}

export function measureImages(runs: number): ImageCosts {
  const pixels = frame();
  const map = new Float32Array(224 * 224).map((_, i) => ((i % 224) + Math.floor(i / 224)) / 448);
  const heatmap = timed(runs, () => heatmapPixels({ map, mapWidth: 224, mapHeight: 224, threshold: 0.5, frame: { width: W, height: H, pixels } }));
  const adaptive = timed(runs, () => {
    const png = new PNG({ width: W, height: H });
    png.data = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
    return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
  });
  const paeth = timed(runs, () => encodeRgbPng(W, H, pixels));
  return { width: W, height: H, heatmapMs: heatmap.ms, adaptive: { ms: adaptive.ms, kb: adaptive.last.length / 1024 }, paeth: { ms: paeth.ms, kb: paeth.last.length / 1024 } };
}
