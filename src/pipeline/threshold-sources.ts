/**
 * Which threshold decides a frame, from every source there is. Pure. Highest first:
 *
 *   1. live   set over MQTT (`<prefix>/<line>/<camera>/threshold/set`) for this camera, product and model;
 *   2. config the camera's `threshold`, for the product the camera is configured for and the model loaded with
 *             that config;
 *   3. file   the thresholds file (`uniad-edge calibrate`) of THIS model: camera entry, then product entry;
 *   4. model  the model's sidecar: the product's calibrated threshold, else its default.
 *
 * Scores are not on one scale across products or models, so a live or configured value never carries over to another
 * product (a recipe change-over) or another model (a swap): there the next source down decides. That is what keeps a
 * verdict's `model` and `threshold` together.
 */
import type { ModelSidecar, ThresholdsFile } from '../types.js';
import { thresholdFor } from './threshold.js';

export type ThresholdOrigin = 'live' | 'config' | 'file' | 'model';

/** The model a frame was (or will be) scored by. */
export interface ModelRef {
  /** `<name>@<version>`. */
  readonly id: string;
  readonly sidecar: ModelSidecar;
}

export interface ThresholdSources {
  /** Live sets, keyed by liveKey(camera, product, model). */
  readonly live: ReadonlyMap<string, number>;
  /** Camera id → its configured product and `threshold` (absent when none is configured). */
  readonly cameras: ReadonlyMap<string, { readonly product: string; readonly threshold?: number | undefined }>;
  /** The model loaded with the config: its camera thresholds are for that model (absent: for any). */
  readonly configModel?: string | undefined;
  readonly file?: ThresholdsFile | undefined;
}

export interface ResolvedThreshold {
  readonly threshold: number;
  readonly origin: ThresholdOrigin;
}

export function liveKey(camera: string, product: string, model: string): string {
  return JSON.stringify([camera, product, model]);
}

const own = <T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined => (record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined);

export function resolveThreshold(camera: string, product: string, model: ModelRef, sources: ThresholdSources): ResolvedThreshold {
  const live = sources.live.get(liveKey(camera, product, model.id));
  if (live !== undefined) return { threshold: live, origin: 'live' };
  const cam = sources.cameras.get(camera);
  if (cam?.threshold !== undefined && cam.product === product && (sources.configModel === undefined || sources.configModel === model.id)) return { threshold: cam.threshold, origin: 'config' };
  const file = sources.file?.model === model.id ? sources.file : undefined;
  const fromFile = own(own(file?.cameras, camera), product) ?? own(file?.products, product);
  if (fromFile !== undefined) return { threshold: fromFile, origin: 'file' };
  return { threshold: thresholdFor({}, product, model.sidecar), origin: 'model' };
}

/** score / threshold: 1.0 at the threshold, the one scale people can compare across products. Null when not finite. */
export function normalizedScore(score: number | null, threshold: number): number | null {
  if (score === null || !Number.isFinite(score) || !(threshold > 0)) return null;
  const n = score / threshold;
  return Number.isFinite(n) ? n : null;
}
