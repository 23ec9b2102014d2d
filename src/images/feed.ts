/**
 * The live feed's picture: per camera, a downscaled frame with its heatmap blended over it, for dashboards (ours and
 * anyone else's; published by sinks/image-publisher.ts on `<prefix>/<line>/<camera>/feed`). The PNG's `tEXt` chunks
 * carry `uniad-id` and `uniad-verdict` (the verdict JSON as the MQTT contract writes it, handed in), so one message is
 * picture and verdict. Frames that were not scored (deadline, error) come without heatmap. Pure: decision in, PNG out.
 */
import type { Inference, Verdict } from '../types.js';
import { heatmapPixels } from './heatmap.js';
import { encodeRgbPng } from './png-encode.js';
import { withPngText } from './png-text.js';

/** Box-filtered downscale of packed RGB to `width` (aspect kept); frames already that small are returned as they are. */
export function downscale(frame: { width: number; height: number; pixels: Uint8Array }, width: number): { width: number; height: number; pixels: Uint8Array } {
  if (frame.width <= width) return frame;
  const w = width;
  const h = Math.max(1, Math.round((frame.height * width) / frame.width));
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const y0 = Math.floor((y * frame.height) / h);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * frame.height) / h));
    for (let x = 0; x < w; x++) {
      const x0 = Math.floor((x * frame.width) / w);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * frame.width) / w));
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) sum += frame.pixels[(yy * frame.width + xx) * 3 + c]!;
        out[(y * w + x) * 3 + c] = Math.round(sum / ((y1 - y0) * (x1 - x0)));
      }
    }
  }
  return { width: w, height: h, pixels: out };
}

/** `frame` downscaled (box filter) so that neither side exceeds `maxSide`; a frame already that small as it is. */
export function fitSide(frame: { width: number; height: number; pixels: Uint8Array }, maxSide: number): { width: number; height: number; pixels: Uint8Array } {
  if (frame.width <= maxSide && frame.height <= maxSide) return frame;
  return downscale(frame, frame.width >= frame.height ? maxSide : Math.max(1, Math.round((maxSide * frame.width) / frame.height)));
}

/** What a feed image is made of: a decision's verdict, frame and (when scored) anomaly map. */
export interface FeedInput {
  /** The verdict's id and its threshold, the heatmap's scale. */
  readonly verdict: Pick<Verdict, 'id' | 'threshold'>;
  /** The verdict's JSON payload (sinks/payload.ts), carried in the `uniad-verdict` chunk. */
  readonly verdictJson: string;
  readonly frame: { readonly width: number; readonly height: number; readonly pixels: Uint8Array };
  readonly inference?: Pick<Inference, 'anomalyMap' | 'mapWidth' | 'mapHeight'>;
}

export function feedImage({ verdict, verdictJson, frame, inference }: FeedInput, width: number): Buffer {
  const small = downscale(frame, width);
  const rgb = inference
    ? heatmapPixels({ map: inference.anomalyMap, mapWidth: inference.mapWidth, mapHeight: inference.mapHeight, threshold: verdict.threshold, frame: small, alpha: 0.45 }).rgb
    : small.pixels;
  const bytes = encodeRgbPng(small.width, small.height, rgb);
  // tEXt is Latin-1: escape anything beyond ASCII so a product name survives (JSON reads \uXXXX back).
  const json = verdictJson.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return withPngText(withPngText(bytes, 'uniad-id', verdict.id), 'uniad-verdict', json);
}
