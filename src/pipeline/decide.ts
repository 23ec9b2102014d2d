import type { FailSafe, Frame, Inference, Verdict } from '../types.js';
import { normalizedScore } from './threshold-sources.js';

/** Unique across cameras and service runs (runId), stable for one frame: subscribers deduplicate on it. */
export function verdictId(frame: Frame, runId: string): string {
  return `${frame.camera}:${runId}:${frame.seq}`;
}

function base(frame: Frame, modelId: string, runId: string, threshold: number, now: number) {
  return {
    id: verdictId(frame, runId),
    camera: frame.camera,
    line: frame.line,
    product: frame.product,
    seq: frame.seq,
    capturedAt: frame.capturedAt,
    decidedAt: now,
    threshold,
    model: modelId,
    ...(frame.part === undefined ? {} : { partId: frame.part.partId }),
  };
}

/**
 * The verdict on a scored frame. A score EQUAL to the threshold rejects: the calibrated threshold is the first
 * anomalous score, and on the boundary the line errs toward inspecting the part again rather than shipping it.
 */
export function decide(frame: Frame, inference: Inference, threshold: number, modelId: string, runId: string, now: number): Verdict {
  const reject = inference.score >= threshold;
  return { ...base(frame, modelId, runId, threshold, now), score: inference.score, normalizedScore: normalizedScore(inference.score, threshold), reject, reason: reject ? 'anomaly' : 'ok' };
}

/** The verdict on a frame that was never scored: the configured fail-safe decides. */
export function failSafeVerdict(
  frame: Frame,
  reason: 'deadline' | 'error',
  failSafe: FailSafe,
  threshold: number,
  modelId: string,
  runId: string,
  now: number,
): Verdict {
  return { ...base(frame, modelId, runId, threshold, now), score: null, normalizedScore: null, reject: failSafe === 'reject', reason };
}

/** What decides a frame with regions: each region's product, threshold and (when scored) score. */
export interface RegionCall {
  readonly name: string;
  readonly product: string;
  readonly threshold: number;
}

/**
 * The verdict on a frame with regions: each region decided as `decide` decides a frame, the frame rejected when any
 * region is. The verdict's own score and threshold are those of `deciding`, the region with the highest normalized
 * score (the one nearest to, or furthest past, its threshold), so a reject names the region that caused it.
 */
export function decideRegions(frame: Frame, regions: readonly RegionCall[], scores: readonly number[], modelId: string, runId: string, now: number): { verdict: Verdict; deciding: number } {
  const results = regions.map((r, i) => {
    const score = scores[i]!;
    return { name: r.name, product: r.product, score, threshold: r.threshold, normalizedScore: normalizedScore(score, r.threshold), reject: score >= r.threshold };
  });
  const deciding = results.reduce((best, r, i) => ((r.normalizedScore ?? -Infinity) > (results[best]!.normalizedScore ?? -Infinity) ? i : best), 0);
  const top = results[deciding]!;
  const reject = results.some((r) => r.reject);
  return {
    verdict: { ...base(frame, modelId, runId, top.threshold, now), score: top.score, normalizedScore: top.normalizedScore, reject, reason: reject ? 'anomaly' : 'ok', regions: results },
    deciding,
  };
}

/** The fail-safe verdict on a frame with regions: every region gets the fail-safe decision, none a score. */
export function failSafeRegions(frame: Frame, reason: 'deadline' | 'error', failSafe: FailSafe, threshold: number, regions: readonly RegionCall[], modelId: string, runId: string, now: number): Verdict {
  const reject = failSafe === 'reject';
  return { ...failSafeVerdict(frame, reason, failSafe, threshold, modelId, runId, now), regions: regions.map((r) => ({ name: r.name, product: r.product, score: null, threshold: r.threshold, normalizedScore: null, reject })) };
}
