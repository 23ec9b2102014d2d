/**
 * How the verdicts of a part's frames make the part's decision: a camera's rule (`parts.rule`) over its scored frames,
 * and the fail-safe for what could not be judged. Pure.
 *
 * - `any`: the part is rejected when any of its frames is.
 * - `max`: the part is rejected when its highest score reaches the threshold of the frame that scored it. While the
 *   threshold holds through the part these are the parts `any` rejects; when it changes within a part, only the
 *   highest-scoring frame's threshold judges. For plants that name their rule by its score.
 * - `k-of-n`: rejected when at least k of its n frames are, k at most n: a part seen fewer than k times (a detected
 *   part that left early) is rejected when all its frames are. One frame's noise does not reject a part.
 *
 * A defect found decides, whatever else happened to the part. Otherwise a frame that was never scored (`deadline`,
 * `error`), or a frame the part was owed and never got (`no-frame`), leaves the part undecidable: the fail-safe
 * decides it (reject by default), with that reason.
 */
import type { FailSafe, PartReason, Verdict } from '../types.js';

export type PartRule = { readonly kind: 'any' } | { readonly kind: 'max' } | { readonly kind: 'k-of-n'; readonly k: number };

export interface PartJudgement {
  readonly reject: boolean;
  readonly reason: PartReason;
  /** The highest score of the part's scored frames; null when none was scored. */
  readonly score: number | null;
  /** The threshold of the frame with that score; null when none was scored. */
  readonly threshold: number | null;
}

const scored = (v: Verdict): v is Verdict & { score: number } => (v.reason === 'anomaly' || v.reason === 'ok') && v.score !== null;

/** Whether the rule rejects the part on its scored frames. */
function ruleRejects(rule: PartRule, frames: readonly (Verdict & { score: number })[], best: (Verdict & { score: number }) | undefined): boolean {
  switch (rule.kind) {
    case 'any':
      return frames.some((v) => v.reject);
    case 'max':
      return best !== undefined && best.score >= best.threshold;
    case 'k-of-n':
      return frames.length > 0 && frames.filter((v) => v.reject).length >= Math.min(rule.k, frames.length);
  }
}

/**
 * The part's decision from the verdicts of the frames it got. `absent`: it was owed more: frames it never got
 * (`no-frame`: its frame timeout passed, or its camera said the frame will not come), or verdicts of its frames that
 * never came (`deadline`).
 */
export function judgePart(verdicts: readonly Verdict[], absent: 'no-frame' | 'deadline' | undefined, rule: PartRule, failSafe: FailSafe): PartJudgement {
  const frames = verdicts.filter(scored);
  const best = frames.reduce<(Verdict & { score: number }) | undefined>((top, v) => (top === undefined || v.score > top.score ? v : top), undefined);
  const score = best?.score ?? null;
  const threshold = best?.threshold ?? null;
  if (ruleRejects(rule, frames, best)) return { reject: true, reason: 'anomaly', score, threshold };
  const reasons = new Set<PartReason>(verdicts.filter((v) => !scored(v)).map((v) => v.reason));
  if (absent !== undefined) reasons.add(absent);
  if (verdicts.length === 0) reasons.add('no-frame');
  // what went wrong first in a frame's way: its scoring failed, it was not scored in time, it never came
  const failed = (['error', 'deadline', 'no-frame'] as const).find((r) => reasons.has(r));
  if (failed !== undefined) return { reject: failSafe === 'reject', reason: failed, score, threshold };
  return { reject: false, reason: 'ok', score, threshold };
}
