/**
 * Which threshold decides a frame, from every source there is: the one function that says so (README, "Threshold
 * precedence", is its table, and test/pipeline/threshold-precedence.test.ts reads that table). Pure. Highest first:
 *
 *   1. live   set over MQTT (`<prefix>/<line>/<camera>/threshold/set`) for this camera, product and model;
 *   2. config the region's `threshold` (a camera with regions), then the camera's `thresholds[product]`, or its
 *             `threshold` for its configured `product`, under the model loaded with that config;
 *   3. file   a thresholds file (`uniad-edge calibrate`) calibrated for THIS model: region entry, camera entry, then
 *             product entry;
 *   4. model  the model's sidecar: the product's calibrated threshold, else its default.
 *
 * Every source is keyed by (camera, product, model). Scores are not on one scale across products or models, so a
 * value never carries over to another product (a recipe change-over) or another model (a swap, the shadow model):
 * there the next source down decides. That is what keeps a verdict's `model` and `threshold` together.
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

/** A camera's thresholds in the config. */
export interface ConfiguredCamera {
  /** The product it is configured for. */
  readonly product: string;
  /** Its threshold for `product`. */
  readonly threshold?: number | undefined;
  /** Its thresholds for other products (a recipe may select them): product → threshold. */
  readonly thresholds?: Readonly<Record<string, number>> | undefined;
  /** A camera with regions: each region's configured product and threshold, by name. */
  readonly regions?: ReadonlyMap<string, RegionSetting> | undefined;
}

export interface ThresholdSources {
  /** Live sets, keyed by liveKey(camera, product, model). */
  readonly live: ReadonlyMap<string, number>;
  /** Camera id → its configured product and thresholds, and its regions'. */
  readonly cameras: ReadonlyMap<string, ConfiguredCamera>;
  /** The model loaded with the config: its camera thresholds are for that model (absent: for any). */
  readonly configModel?: string | undefined;
  /** Thresholds files, each for the model it names (`model.thresholdsFile`, `shadow.thresholdsFile`). */
  readonly files?: readonly ThresholdsFile[] | undefined;
}

/** A region's configured product (its own, else its camera's) and `threshold`. */
export interface RegionSetting {
  readonly product: string;
  readonly threshold?: number | undefined;
}

export interface ResolvedThreshold {
  readonly threshold: number;
  readonly origin: ThresholdOrigin;
}

export function liveKey(camera: string, product: string, model: string): string {
  return JSON.stringify([camera, product, model]);
}

const own = <T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined => (record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined);

/** The threshold the config gives `camera` for `product` (under the config's model), if any. */
export function configuredThreshold(camera: Pick<ConfiguredCamera, 'product' | 'threshold' | 'thresholds'> | undefined, product: string): number | undefined {
  return own(camera?.thresholds, product) ?? (camera?.product === product ? camera.threshold : undefined);
}

/** The thresholds file calibrated for `model`, among `files`. */
export const fileFor = (files: readonly ThresholdsFile[] | undefined, model: string): ThresholdsFile | undefined => files?.find((f) => f.model === model);

/**
 * The threshold of `camera`'s frames of `product` under `model`; with `region`, of that region of its frames. A live
 * set is the camera's, for all its regions of the product: an operator turns one knob per camera.
 */
export function resolveThreshold(camera: string, product: string, model: ModelRef, sources: ThresholdSources, region?: string): ResolvedThreshold {
  const live = sources.live.get(liveKey(camera, product, model.id));
  if (live !== undefined) return { threshold: live, origin: 'live' };
  const cam = sources.cameras.get(camera);
  const forModel = sources.configModel === undefined || sources.configModel === model.id;
  const reg = region === undefined ? undefined : cam?.regions?.get(region);
  if (reg?.threshold !== undefined && reg.product === product && forModel) return { threshold: reg.threshold, origin: 'config' };
  const configured = forModel ? configuredThreshold(cam, product) : undefined;
  if (configured !== undefined) return { threshold: configured, origin: 'config' };
  const file = fileFor(sources.files, model.id);
  const fromRegion = region === undefined ? undefined : own(own(own(file?.regions, camera), region), product);
  const fromFile = fromRegion ?? own(own(file?.cameras, camera), product) ?? own(file?.products, product);
  if (fromFile !== undefined) return { threshold: fromFile, origin: 'file' };
  return { threshold: thresholdFor({}, product, model.sidecar), origin: 'model' };
}

/** score / threshold: 1.0 at the threshold, the one scale people can compare across products. Null when not finite. */
export function normalizedScore(score: number | null, threshold: number): number | null {
  if (score === null || !Number.isFinite(score) || !(threshold > 0)) return null;
  const n = score / threshold;
  return Number.isFinite(n) ? n : null;
}
