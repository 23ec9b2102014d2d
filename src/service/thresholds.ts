import type { CameraConfig } from '../config.js';
import { hasClassThreshold, thresholdFor } from '../pipeline/threshold.js';
import type { Logger, ModelSidecar } from '../types.js';

/** Each camera's score threshold, fixed for the run: its own, else its product's calibrated one, else the model default. */
export function cameraThresholds(cameras: readonly CameraConfig[], sidecar: ModelSidecar): ReadonlyMap<string, number> {
  return new Map(cameras.map((cam) => [cam.id, thresholdFor(cam, cam.product, sidecar)]));
}

/** A camera that names a product the model was not calibrated for gets the model default; say so at start. */
export function warnUncalibratedProducts(cameras: readonly CameraConfig[], sidecar: ModelSidecar, logger: Logger): void {
  for (const cam of cameras) {
    if (cam.threshold === undefined && !hasClassThreshold(sidecar, cam.product)) {
      logger.warn('camera product has no threshold in the model; using the model default', { camera: cam.id, product: cam.product, threshold: sidecar.defaultThreshold, classes: sidecar.classes });
    }
  }
}
