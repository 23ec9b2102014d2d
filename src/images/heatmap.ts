/**
 * Renders a UniAD anomaly map as a PNG heatmap. Pure: numbers in, PNG bytes out.
 *
 * Fixed scale, so a colour means the same on every frame and camera: a map value `v` takes Turbo at
 * `v / (2 × threshold)`, clamped to [0, 1]. So 0 is dark blue, the image threshold sits in the middle of the map
 * (green-yellow) and everything at or above twice the threshold is dark red. The threshold is the image-score
 * threshold of the frame's product; the image score is the max of the pooled map, so both share units.
 *
 * With the frame given, the output has the frame's size (the map is resampled bilinearly when sizes differ) and
 * the colours are blended over the frame's pixels with weight `alpha`; without it, the output has the map's size.
 *
 * Folder images/: making images, pure (heatmap.ts, turbo.ts, png-encode.ts, png-text.ts, feed.ts) and in a worker
 * thread off the verdicts' path (renderer.ts, render-worker.ts). Used by sinks/ (live heatmaps and feed), evidence/
 * and calibrate/ (the score plot). It imports shared modules at src/ and platform/ only: never sinks/, broker/,
 * http/, evidence/, sources/, pipeline/, config.ts or the wiring; what it writes into an image (a verdict's JSON)
 * it is handed.
 */
import { encodeRgbPng } from './png-encode.js';
import { turboTable } from './turbo.js';

export interface HeatmapInput {
  /** Row-major anomaly map of mapHeight × mapWidth. */
  readonly map: Float32Array;
  readonly mapWidth: number;
  readonly mapHeight: number;
  /** Image-score threshold of the frame's product: defines the colour scale (see module doc). */
  readonly threshold: number;
  /** RGB frame (tightly packed rows) to blend over; the output takes its size. */
  readonly frame?: { readonly width: number; readonly height: number; readonly pixels: Uint8Array };
  /** Weight of the heatmap colour over the frame, 0–1. Default 0.5. Ignored without a frame. */
  readonly alpha?: number;
}

const lut = turboTable();

/** Index 0–255 into the colour table for map value `v`; see the scale in the module doc. */
export function colourIndex(v: number, threshold: number): number {
  const t = v / (2 * threshold);
  if (!(t > 0)) return 0; // also NaN
  return t >= 1 ? 255 : Math.round(t * 255);
}

/** Per output coordinate: the two map cells it falls between and the weight of the second (pixel centres aligned). */
function axis(mapSize: number, outSize: number): { lo: Int32Array; hi: Int32Array; w: Float32Array } {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const w = new Float32Array(outSize);
  const scale = mapSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const f = Math.min(mapSize - 1, Math.max(0, (i + 0.5) * scale - 0.5));
    lo[i] = Math.floor(f);
    hi[i] = Math.min(mapSize - 1, lo[i]! + 1);
    w[i] = f - lo[i]!;
  }
  return { lo, hi, w };
}

/** RGB pixels (tightly packed) of the heatmap, before PNG encoding. */
export function heatmapPixels(input: HeatmapInput): { width: number; height: number; rgb: Uint8Array } {
  const { map, mapWidth, mapHeight, threshold, frame } = input;
  if (map.length !== mapWidth * mapHeight) {
    throw new RangeError(`heatmap: map has ${map.length} values, expected ${mapWidth}×${mapHeight}=${mapWidth * mapHeight}`);
  }
  if (!(threshold > 0)) throw new RangeError(`heatmap: threshold must be > 0, got ${threshold}`);
  if (frame && frame.pixels.length !== frame.width * frame.height * 3) {
    throw new RangeError(`heatmap: frame has ${frame.pixels.length} bytes, expected ${frame.width}×${frame.height}×3 (packed RGB)`);
  }
  const width = frame?.width ?? mapWidth;
  const height = frame?.height ?? mapHeight;
  const alpha = frame ? Math.min(1, Math.max(0, input.alpha ?? 0.5)) : 1;
  // Bilinear resampling, separable: the weights of every column and row are computed once, not per pixel.
  const xs = axis(mapWidth, width);
  const ys = axis(mapHeight, height);
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const top = ys.lo[y]! * mapWidth;
    const bottom = ys.hi[y]! * mapWidth;
    const ay = ys.w[y]!;
    for (let x = 0; x < width; x++) {
      const x0 = xs.lo[x]!;
      const x1 = xs.hi[x]!;
      const ax = xs.w[x]!;
      const upper = map[top + x0]! * (1 - ax) + map[top + x1]! * ax;
      const lower = map[bottom + x0]! * (1 - ax) + map[bottom + x1]! * ax;
      const c = colourIndex(upper * (1 - ay) + lower * ay, threshold) * 3;
      const o = (y * width + x) * 3;
      if (frame) {
        const px = frame.pixels;
        rgb[o] = Math.round(alpha * lut[c]! + (1 - alpha) * px[o]!);
        rgb[o + 1] = Math.round(alpha * lut[c + 1]! + (1 - alpha) * px[o + 1]!);
        rgb[o + 2] = Math.round(alpha * lut[c + 2]! + (1 - alpha) * px[o + 2]!);
      } else {
        rgb[o] = lut[c]!;
        rgb[o + 1] = lut[c + 1]!;
        rgb[o + 2] = lut[c + 2]!;
      }
    }
  }
  return { width, height, rgb };
}

/** The heatmap as PNG bytes (8-bit RGB). */
export function renderHeatmap(input: HeatmapInput): Buffer {
  const { width, height, rgb } = heatmapPixels(input);
  return encodeRgbPng(width, height, rgb);
}
