import type { CameraConfig } from '../config.js';
import { hasClassThreshold } from '../pipeline/threshold.js';
import type { Logger, ModelSidecar } from '../types.js';

/** A camera that names a product the model was not calibrated for gets the model default; say so at start. */
export function warnUncalibratedProducts(cameras: readonly CameraConfig[], sidecar: ModelSidecar, logger: Logger): void {
  for (const cam of cameras) {
    if (cam.threshold === undefined && !hasClassThreshold(sidecar, cam.product)) {
      logger.warn('camera product has no threshold in the model; using the model default', { camera: cam.id, product: cam.product, threshold: sidecar.defaultThreshold, classes: sidecar.classes });
    }
  }
}
