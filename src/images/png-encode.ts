/**
 * PNG encoding of packed RGB, with the one setting every image of ours uses (heatmaps, feed, evidence frames).
 *
 * A fixed Paeth filter instead of pngjs's default, which tries all five filters on every row and keeps the best:
 * on 640×480 camera frames that takes about half the time for files of the same size (docs/performance.md §3,
 * bench/images.ts). Paeth is the filter the adaptive choice picks on most rows of natural images.
 */
import { PNG } from 'pngjs';

const PAETH = 4;

/** 8-bit RGB PNG of `rgb` (rows tightly packed, width × height × 3 bytes). */
export function encodeRgbPng(width: number, height: number, rgb: Uint8Array): Buffer {
  if (rgb.length !== width * height * 3) throw new RangeError(`png: ${rgb.length} bytes are not ${width}×${height} packed RGB`);
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false, filterType: PAETH });
}
