import type { ModelSidecar } from '../types.js';

/**
 * The score threshold for a frame: the camera's own override, else the calibrated threshold of the product class,
 * else the model's default (a class the model was not calibrated for).
 */
export function thresholdFor(camera: { readonly threshold?: number | undefined }, product: string, sidecar: ModelSidecar): number {
  return camera.threshold ?? (Object.hasOwn(sidecar.thresholds, product) ? sidecar.thresholds[product]! : sidecar.defaultThreshold);
}
