/** Frames with regions for pipeline tests, on the tiny model (64 x 64 inputs; score = the map's maximum, pool 1). */
import { regionLayout, type RegionSettings } from '../../src/tiles/layout.js';
import type { IgnoreShape } from '../../src/tiles/ignore.js';
import type { Frame, RegionLayout } from '../../src/types.js';
import { tinySize } from '../setup/tiny-model.js';

export const tinyInput = { width: tinySize, height: tinySize };

export function layouts(regions: readonly RegionSettings[], ignore: readonly IgnoreShape[] = [], camera = 'cam1'): RegionLayout[] {
  return regions.map((r) => regionLayout(camera, r, tinyInput, ignore));
}

export interface RegionFrameSpec {
  readonly camera?: string;
  readonly seq?: number;
  readonly capturedAt?: number;
  readonly product?: string;
  /** Spots per region, in region-image pixels: [region index, x, y, [r, g, b]]. */
  readonly spots?: ReadonlyArray<readonly [number, number, number, readonly [number, number, number]]>;
}

/** A frame of a camera with these regions, every region image mid-grey (tiny score ~0.004) but for the spots. */
export function regionFrame(regions: readonly RegionLayout[], spec: RegionFrameSpec = {}): Frame {
  const images = regions.map((layout) => ({ layout, pixels: new Uint8Array(layout.width * layout.height * 3).fill(128) }));
  for (const [r, x, y, rgb] of spec.spots ?? []) images[r]!.pixels.set(rgb, (y * regions[r]!.width + x) * 3);
  return {
    camera: spec.camera ?? 'cam1',
    line: 'line1',
    product: spec.product ?? 'bolt',
    seq: spec.seq ?? 0,
    capturedAt: spec.capturedAt ?? Date.now(),
    width: regions[0]!.width,
    height: regions[0]!.height,
    pixels: images[0]!.pixels,
    regions: images,
  };
}
