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
