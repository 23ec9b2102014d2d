/**
 * A camera image cut into its regions as the runtime's GStreamer pipeline cuts it (sources/launch.ts
 * `regionsTail`): each region cropped, then scaled into its layout's size by geometry/letterbox.ts, which reproduces
 * GStreamer's RGB scaler to the bit. Calibration and evaluation read camera images (PNG) with it, so their tiles are
 * the runtime's tiles (test/tiles/parity.test.ts). Pure.
 */
import { letterbox, type RgbImage } from '../geometry/letterbox.js';
import type { Crop, Frame, RegionLayout } from '../types.js';

/** `rect` of `image`, rows copied. */
export function cropImage(image: RgbImage, rect: Crop): RgbImage {
  if (rect.x + rect.width > image.width || rect.y + rect.height > image.height) {
    throw new RangeError(`a ${rect.width}x${rect.height} region at ${rect.x},${rect.y} does not fit a ${image.width}x${image.height} image`);
  }
  const row = rect.width * 3;
  const pixels = new Uint8Array(row * rect.height);
  for (let y = 0; y < rect.height; y++) pixels.set(image.pixels.subarray(((rect.y + y) * image.width + rect.x) * 3, ((rect.y + y) * image.width + rect.x) * 3 + row), y * row);
  return { width: rect.width, height: rect.height, pixels };
}

/** The frame the runtime would make of `image` for a camera with these regions. */
export function regionFrame(image: RgbImage, layouts: readonly RegionLayout[], frame: Pick<Frame, 'camera' | 'line' | 'product' | 'seq' | 'capturedAt'>): Frame {
  const regions = layouts.map((layout) => ({ layout, pixels: letterbox(cropImage(image, layout.source), layout.width, layout.height).pixels }));
  return { ...frame, width: layouts[0]!.width, height: layouts[0]!.height, pixels: regions[0]!.pixels, regions };
}
