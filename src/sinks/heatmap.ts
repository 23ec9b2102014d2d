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
 */
import { PNG } from 'pngjs';
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

/** Bilinear sample of the map at output pixel (x, y) when resampling mapW×mapH to outW×outH (pixel centres aligned). */
function sampler(map: Float32Array, mapW: number, mapH: number, outW: number, outH: number): (x: number, y: number) => number {
  if (mapW === outW && mapH === outH) return (x, y) => map[y * mapW + x]!;
  const sx = mapW / outW;
  const sy = mapH / outH;
  return (x, y) => {
    const fx = Math.min(mapW - 1, Math.max(0, (x + 0.5) * sx - 0.5));
    const fy = Math.min(mapH - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const x0 = Math.floor(fx);
    const y0 = Math.floor(fy);
    const x1 = Math.min(mapW - 1, x0 + 1);
    const y1 = Math.min(mapH - 1, y0 + 1);
    const ax = fx - x0;
    const ay = fy - y0;
    const top = map[y0 * mapW + x0]! * (1 - ax) + map[y0 * mapW + x1]! * ax;
    const bottom = map[y1 * mapW + x0]! * (1 - ax) + map[y1 * mapW + x1]! * ax;
    return top * (1 - ay) + bottom * ay;
  };
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
  const sample = sampler(map, mapWidth, mapHeight, width, height);
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      const c = colourIndex(sample(x, y), threshold) * 3;
      for (let ch = 0; ch < 3; ch++) {
        rgb[o + ch] = frame ? Math.round(alpha * lut[c + ch]! + (1 - alpha) * frame.pixels[o + ch]!) : lut[c + ch]!;
      }
    }
  }
  return { width, height, rgb };
}

/** The heatmap as PNG bytes (8-bit RGB). */
export function renderHeatmap(input: HeatmapInput): Buffer {
  const { width, height, rgb } = heatmapPixels(input);
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}
