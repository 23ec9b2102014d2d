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

/** How far from the model's own scale a threshold may be before it is taken for a slip (a decimal point, a unit). */
export const plausibleFactor = 10;

/**
 * The thresholds that fit `sidecar`'s score scale for `product`: from a tenth of its calibrated threshold (else the
 * default) to ten times the larger of that and the highest normal score the model saw (`scoreStats`). Below it
 * nearly every part would be rejected, above it nearly none. Pure.
 */
export function plausibleThresholds(sidecar: ModelSidecar, product: string): { readonly low: number; readonly high: number } {
  const calibrated = thresholdFor({}, product, sidecar);
  const stats = sidecar.scoreStats !== undefined && Object.hasOwn(sidecar.scoreStats, product) ? sidecar.scoreStats[product] : undefined;
  return { low: calibrated / plausibleFactor, high: Math.max(calibrated, stats?.max ?? calibrated) * plausibleFactor };
}
