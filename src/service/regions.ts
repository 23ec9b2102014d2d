/** Each camera's regions as the loaded model sees them (tiles/layout.ts), computed once at start. */
import type { CameraConfig } from '../config.js';
import { uniadError } from '../errors.js';
import { scorePoolOf } from '../pipeline/sidecar.js';
import { cameraLayouts } from '../tiles/layout.js';
import type { ModelSidecar, RegionLayout } from '../types.js';

/**
 * Camera id → its region layouts, for the cameras that have regions. Throws REGION_TILES when a region cannot be cut
 * into the model's tiles, MODEL_SCORE_POOL when a tiled or masked region needs the model's score rule and its
 * sidecar does not say it.
 */
export function regionLayouts(cameras: readonly CameraConfig[], sidecar: ModelSidecar): Map<string, RegionLayout[]> {
  const layouts = new Map<string, RegionLayout[]>();
  for (const cam of cameras) {
    const own = cameraLayouts(cam, sidecar.input);
    if (own !== undefined) layouts.set(cam.id, own);
  }
  const scored = [...layouts].flatMap(([cam, ls]) => ls.filter((l) => l.tiles !== undefined || l.ignore !== undefined).map((l) => `${cam}/${l.name}`));
  if (scored.length > 0 && scorePoolOf(sidecar) === undefined) throw uniadError('MODEL_SCORE_POOL', `${sidecar.name}@${sidecar.version}`, `the regions ${scored.join(', ')}`);
  return layouts;
}
