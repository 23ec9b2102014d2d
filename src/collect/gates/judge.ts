/**
 * The quality gates in the order a frame meets them, and their default limits. Cheapest and most telling first:
 * exposure (a dark frame is also flat and unsharp, and should be called dark), an empty station (flat, and would
 * be called blurred), focus, then near-duplicates against the frames kept so far. Pure.
 */
import type { RgbImage } from '../../geometry/letterbox.js';
import { duplicateProblem, fingerprint } from './duplicate.js';
import { emptyProblem, type EmptyLimits } from './empty.js';
import { exposureProblem, type ExposureLimits } from './exposure.js';
import { focusProblem } from './focus.js';
import { grayContent } from './gray.js';

export const gateNames = ['exposure', 'empty', 'focus', 'duplicate'] as const;
export type GateName = (typeof gateNames)[number];

export interface GateLimits extends ExposureLimits, EmptyLimits {
  /** Variance of the Laplacian below this: blurred. */
  readonly minFocus: number;
  /** A fingerprint distance (grey levels) at or below this to a kept frame: a near-duplicate (0: only exact copies; below 0: the gate off). */
  readonly maxDuplicateDistance: number;
}

/**
 * Defaults, measured on the benchmark's good images letterboxed to 224 × 224 (models/benchmark: 14 products, 10 each):
 * the sharpest-textured product's lowest focus is 32 (concrete), a 5 × 5 box blur brings most below 20; means run
 * from 68 to 228 with up to 30 % white (tiles); contrast from 7.7 (concrete); ±6 grey levels of noise move a fingerprint
 * by at most 0.5, two different good parts of one product are 1.8 (chip) to 45 apart, a part moved by 3 pixels 0.7
 * to 9. A product of its own may need its own limits (the collect options).
 */
export const defaultGateLimits: GateLimits = {
  minMean: 25,
  maxMean: 240,
  maxClipped: 0.5,
  minChanged: 0.02,
  minContrast: 3,
  minFocus: 20,
  maxDuplicateDistance: 1,
};

export type Judgement = { readonly keep: true; readonly print: Float32Array } | { readonly keep: false; readonly gate: GateName; readonly why: string };

/** Whether `frame` joins the dataset, given the fingerprints of the frames kept so far; the first gate it fails says why. */
export function judgeFrame(frame: RgbImage, kept: readonly Float32Array[], limits: GateLimits): Judgement {
  const gray = grayContent(frame);
  const exposure = exposureProblem(gray, limits);
  if (exposure !== undefined) return { keep: false, gate: 'exposure', why: exposure };
  const empty = emptyProblem(gray, limits);
  if (empty !== undefined) return { keep: false, gate: 'empty', why: empty };
  const focus = focusProblem(gray, limits.minFocus);
  if (focus !== undefined) return { keep: false, gate: 'focus', why: focus };
  const print = fingerprint(gray);
  const duplicate = limits.maxDuplicateDistance < 0 ? undefined : duplicateProblem(print, kept, limits.maxDuplicateDistance);
  if (duplicate !== undefined) return { keep: false, gate: 'duplicate', why: duplicate };
  return { keep: true, print };
}
