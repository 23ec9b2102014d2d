/**
 * A region's layout (types.ts `RegionLayout`) from its settings and the model's input size: the size capture
 * delivers it at, its tiles, its ignore mask. Built once per camera at start, by the service and by calibration
 * alike, so both cut the same tiles. Pure.
 */
import { uniadError } from '../errors.js';
import { letterboxRect } from '../geometry/letterbox.js';
import type { Crop, RegionLayout } from '../types.js';
import { scaledSize, tileGrid } from './grid.js';
import { ignoreMask, type IgnoreShape } from './ignore.js';

/** How a region is inspected (config `cameras[].regions[]`). */
export interface RegionSettings extends Crop {
  readonly name: string;
  readonly product?: string | undefined;
  /** Cut into model-input tiles at `scale` (1 = camera pixels), overlapping by `overlap` px at that scale; absent: letterboxed whole into the input. */
  readonly tiles?: { readonly scale: number; readonly overlap: number } | undefined;
}

/** What the layouts need of a camera's config (`cameras[]`: size, crop, regions, ignore). */
export interface CameraRegions {
  readonly id: string;
  readonly size?: { readonly width: number; readonly height: number } | undefined;
  readonly crop?: Crop | undefined;
  readonly regions?: readonly RegionSettings[] | undefined;
  readonly ignore?: readonly IgnoreShape[] | undefined;
}

export interface ModelInput {
  readonly width: number;
  readonly height: number;
}

/** The layout of `region` of camera `camera`; throws REGION_TILES when its tiles cannot be cut. */
export function regionLayout(camera: string, region: RegionSettings, input: ModelInput, ignore: readonly IgnoreShape[] = []): RegionLayout {
  const source: Crop = { x: region.x, y: region.y, width: region.width, height: region.height };
  const base = { name: region.name, ...(region.product === undefined ? {} : { product: region.product }), source };
  if (region.tiles === undefined) {
    const mask = ignoreMask(ignore, { mapWidth: input.width, mapHeight: input.height, image: letterboxRect(source.width, source.height, input.width, input.height), source });
    return { ...base, width: input.width, height: input.height, ...(mask ? { ignore: mask } : {}) };
  }
  const { scale, overlap } = region.tiles;
  const size = scaledSize(source, scale);
  if (size.width < input.width || size.height < input.height) {
    const need = Math.max(input.width / source.width, input.height / source.height);
    throw uniadError(
      'REGION_TILES',
      camera,
      region.name,
      `at tiles.scale ${scale} it is ${size.width}x${size.height} px, smaller than one tile (the model's input, ${input.width}x${input.height}); raise tiles.scale to at least ${Math.ceil(need * 1000) / 1000}, enlarge the region, or drop tiles to letterbox it whole`,
    );
  }
  if (overlap >= Math.min(input.width, input.height) / 2) {
    throw uniadError('REGION_TILES', camera, region.name, `tiles.overlap ${overlap} px is half a tile (${input.width}x${input.height}) or more: most pixels would be scored several times for nothing; use at most ${Math.ceil(Math.min(input.width, input.height) / 2) - 1}`);
  }
  const tiles = tileGrid(size.width, size.height, input.width, input.height, overlap);
  const mask = ignoreMask(ignore, { mapWidth: size.width, mapHeight: size.height, image: { x: 0, y: 0, ...size }, source });
  return { ...base, ...size, tiles, ...(mask ? { ignore: mask } : {}) };
}

/**
 * A camera's regions as configured, or implied by `ignore`: a camera with ignored areas and no regions has one region,
 * `frame`, its crop or whole image letterboxed as before, the areas masked. Undefined for a camera with neither.
 */
export function cameraRegions(cam: CameraRegions): readonly RegionSettings[] | undefined {
  if (cam.regions !== undefined) return cam.regions;
  if (cam.ignore === undefined || cam.size === undefined) return undefined;
  return [{ name: 'frame', ...(cam.crop ?? { x: 0, y: 0, ...cam.size }) }];
}

/** The layouts of a camera's regions for a model of `input` size; undefined for a camera without regions. */
export function cameraLayouts(cam: CameraRegions, input: ModelInput): RegionLayout[] | undefined {
  return cameraRegions(cam)?.map((r) => regionLayout(cam.id, r, input, cam.ignore ?? []));
}
