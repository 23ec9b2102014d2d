import type { ModelSidecar } from '../types.js';

/** Whether calibration gave the product class its own threshold (an own key: `toString` is no class). */
export function hasClassThreshold(sidecar: ModelSidecar, product: string): boolean {
  return Object.hasOwn(sidecar.thresholds, product);
}

/**
 * The score threshold for a frame: the camera's own override, else the calibrated threshold of the product class,
 * else the model's default (a class the model was not calibrated for).
 */
export function thresholdFor(camera: { readonly threshold?: number | undefined }, product: string, sidecar: ModelSidecar): number {
  return camera.threshold ?? (hasClassThreshold(sidecar, product) ? sidecar.thresholds[product]! : sidecar.defaultThreshold);
}
