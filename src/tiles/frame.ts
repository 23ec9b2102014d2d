/**
 * A frame with regions as the model sees it: the inputs it takes (each letterboxed region, each tile of a tiled
 * region), and each region's score and map from what the model said of them. Pure; inspect.ts batches the inputs,
 * calibration and evaluation call the same two functions, so training, thresholds and the line see one tiling.
 *
 * Folder tiles/: regions and tiles — the tile grid (grid.ts), cutting (cut.ts), stitching (stitch.ts), the ignore
 * mask (ignore.ts), the model's score rule on any map (score.ts), a region's layout (layout.ts). Pure arithmetic on
 * pixels and maps; it imports shared modules at src/ and geometry/ only (docs/architecture.md). Its twin for
 * training data is models/uniad/tiles.py.
 */
import type { Frame, Inference, RegionImage, RegionInference } from '../types.js';
import { cutTile } from './cut.js';
import { pooledMax } from './score.js';
import { stitchMax } from './stitch.js';

/** How many model inputs a frame takes: one, or one per letterboxed region and per tile. */
export function inputCount(frame: Frame): number {
  if (frame.regions === undefined) return 1;
  return frame.regions.reduce((n, r) => n + (r.layout.tiles?.length ?? 1), 0);
}

/**
 * Whether a frame is what the model takes: its pixels the model's input size, or each region's image its layout's
 * size with a letterboxed region the input size and every tile the input size, inside its region.
 */
export function inputsFit(frame: Frame, input: { readonly width: number; readonly height: number }): boolean {
  if (frame.regions === undefined) return frame.width === input.width && frame.height === input.height && frame.pixels.length === input.width * input.height * 3;
  return frame.regions.every(({ layout, pixels }) => {
    if (pixels.length !== layout.width * layout.height * 3) return false;
    if (layout.tiles === undefined) return layout.width === input.width && layout.height === input.height;
    return layout.tiles.every((t) => t.width === input.width && t.height === input.height && t.x >= 0 && t.y >= 0 && t.x + t.width <= layout.width && t.y + t.height <= layout.height);
  });
}

/** The model inputs of one region, in tile order. */
function regionInputs(frame: Frame, region: RegionImage): Frame[] {
  const { camera, line, product, seq, capturedAt } = frame;
  const { layout, pixels } = region;
  const input = (p: Uint8Array, width: number, height: number): Frame => ({ camera, line, product, seq, capturedAt, width, height, pixels: p });
  if (layout.tiles === undefined) return [input(pixels, layout.width, layout.height)];
  return layout.tiles.map((t) => input(cutTile(pixels, layout.width, t), t.width, t.height));
}

/** The model inputs of a frame, in order: the frame itself, or its regions' (inputCount of them). */
export function modelInputs(frame: Frame): Frame[] {
  return frame.regions === undefined ? [frame] : frame.regions.flatMap((r) => regionInputs(frame, r));
}

/** `map` with the ignored pixels zeroed (a copy), or `map` itself when nothing is ignored. */
function masked(map: Float32Array, ignore: Uint8Array | undefined): Float32Array {
  if (ignore === undefined) return map;
  const out = map.slice();
  for (let i = 0; i < out.length; i++) if (ignore[i] === 1) out[i] = 0;
  return out;
}

/**
 * Each region's score and map from the inferences of `modelInputs(frame)`, in the same order. A letterboxed region
 * with nothing ignored keeps the model's own score; a tiled or masked one is scored by the model's rule on its map
 * (score.ts), for which `scorePool` must be known (service start checks it: MODEL_SCORE_POOL).
 */
export function regionInferences(frame: Frame, inferences: readonly Inference[], scorePool: number | undefined): RegionInference[] {
  const regions = frame.regions ?? [];
  let next = 0;
  return regions.map(({ layout }) => {
    const count = layout.tiles?.length ?? 1;
    const own = inferences.slice(next, next + count);
    next += count;
    if (own.length !== count) throw new RangeError(`regions: ${inferences.length} inferences for the ${inputCount(frame)} inputs of ${frame.camera}#${frame.seq}`);
    if (layout.tiles === undefined && layout.ignore === undefined) {
      const [only] = own;
      return { score: only!.score, anomalyMap: only!.anomalyMap, mapWidth: only!.mapWidth, mapHeight: only!.mapHeight };
    }
    if (scorePool === undefined) throw new RangeError(`regions: region ${layout.name} of ${frame.camera} needs the model's scorePool`);
    const map = masked(layout.tiles === undefined ? own[0]!.anomalyMap : stitchMax(layout.width, layout.height, layout.tiles, own.map((i) => i.anomalyMap)), layout.ignore);
    const mapWidth = layout.tiles === undefined ? own[0]!.mapWidth : layout.width;
    const mapHeight = layout.tiles === undefined ? own[0]!.mapHeight : layout.height;
    return { score: pooledMax(map, mapWidth, mapHeight, scorePool).score, anomalyMap: map, mapWidth, mapHeight };
  });
}
