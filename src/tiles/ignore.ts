/**
 * The areas of a camera image to ignore (config `cameras[].ignore`: conveyor edges, fixtures), as a mask over a
 * region's anomaly map: a map pixel is ignored when the camera pixel under its centre lies in a rectangle or
 * polygon (even-odd rule). Ignored pixels are zeroed before the score (frame.ts), so nothing there can reject a
 * part. Pure; `models/uniad/tiles.py` is its twin.
 */
import type { Crop } from '../types.js';

export type IgnoreShape = Crop | { readonly polygon: readonly (readonly [number, number])[] };

/** Where a region's image lies in its map and in the camera image. */
export interface MapPlacement {
  readonly mapWidth: number;
  readonly mapHeight: number;
  /** The part of the map that shows the region: all of it when tiled, the letterbox rectangle when letterboxed. */
  readonly image: Crop;
  /** The region in camera pixels. */
  readonly source: Crop;
}

function inPolygon(points: readonly (readonly [number, number])[], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [xi, yi] = points[i]!;
    const [xj, yj] = points[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function contains(shape: IgnoreShape, x: number, y: number): boolean {
  if ('polygon' in shape) return inPolygon(shape.polygon, x, y);
  return x >= shape.x && x < shape.x + shape.width && y >= shape.y && y < shape.y + shape.height;
}

/** 1 for each ignored map pixel, row-major; undefined when the shapes miss the region. */
export function ignoreMask(shapes: readonly IgnoreShape[], at: MapPlacement): Uint8Array | undefined {
  if (shapes.length === 0) return undefined;
  const { mapWidth, mapHeight, image, source } = at;
  const mask = new Uint8Array(mapWidth * mapHeight);
  let any = false;
  const sx = source.width / image.width;
  const sy = source.height / image.height;
  for (let j = image.y; j < image.y + image.height; j++) {
    const cy = source.y + (j - image.y + 0.5) * sy;
    for (let i = image.x; i < image.x + image.width; i++) {
      const cx = source.x + (i - image.x + 0.5) * sx;
      if (shapes.some((s) => contains(s, cx, cy))) {
        mask[j * mapWidth + i] = 1;
        any = true;
      }
    }
  }
  return any ? mask : undefined;
}
