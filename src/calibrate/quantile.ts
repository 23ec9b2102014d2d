/**
 * Threshold arithmetic on image scores. Pure. A frame is rejected when its score is >= the threshold (decide.ts),
 * so every rate here counts `score >= threshold`.
 */

/** Fraction of `scores` at or above `threshold`: the false-reject rate on normal images, the recall on defective ones. */
export function rejectRate(scores: readonly number[], threshold: number): number {
  if (scores.length === 0) return Number.NaN;
  let n = 0;
  for (const s of scores) if (s >= threshold) n++;
  return n / scores.length;
}

/** The smallest double above `x`: a threshold that rejects nothing up to and including `x`. */
export function nextAbove(x: number): number {
  if (!Number.isFinite(x)) return x;
  if (x === 0) return Number.MIN_VALUE;
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const bits = buf.getBigUint64(0);
  buf.setBigUint64(0, x > 0 ? bits + 1n : bits - 1n);
  return buf.getFloat64(0);
}

/**
 * The threshold for a target false-reject rate on `normals`: it rejects the ⌊target·n⌋ highest scores and passes the
 * rest, cutting half-way between the last passed and the first rejected score. Half-way, not at the rejected score:
 * a new normal image then exceeds it with probability ≈ (k + ½)/(n + 1), the target, where cutting at the rejected
 * score would give (k + 1)/(n + 1) and just above the passed one k/(n + 1). With ⌊target·n⌋ = 0 (too few images for
 * the rate) the cut is just above the highest score: the measured rate is 0, the true one unknown (`supported`).
 * Tied scores on the cut are all rejected (a rate above the target, never a silent pass).
 */
export function falseRejectThreshold(normals: readonly number[], target: number): number {
  if (!(target > 0 && target < 1)) throw new RangeError(`target false-reject rate must be in (0, 1), got ${target}`);
  if (normals.length === 0) throw new RangeError('no normal scores to calibrate on');
  if (normals.some((s) => !Number.isFinite(s))) throw new RangeError('a normal score is not a finite number (the model returned NaN or infinity)');
  const sorted = [...normals].sort((a, b) => a - b);
  const n = sorted.length;
  const k = Math.floor(target * n + 1e-9);
  if (k === 0) return nextAbove(sorted[n - 1]!);
  const passed = sorted[n - k - 1]!;
  const rejected = sorted[n - k]!;
  return passed === rejected ? rejected : passed + (rejected - passed) / 2;
}

/** Images needed before a target rate is more than "reject nothing seen so far": at least one must be rejected. */
export function imagesNeeded(target: number): number {
  return Math.ceil(1 / target - 1e-9);
}

/** Whether `n` normal images can support a threshold at `target` (see imagesNeeded). */
export function supported(n: number, target: number): boolean {
  return n >= imagesNeeded(target);
}

export interface F1Point {
  readonly threshold: number;
  readonly f1: number;
  readonly precision: number;
  readonly recall: number;
  /** False-reject rate on the normal images at this threshold. */
  readonly falseReject: number;
}

/**
 * The threshold with the best F1 (defective = positive) over every cut between distinct scores: each candidate is a
 * score itself (rejecting it and everything above). Ties of F1 go to the higher threshold (fewer false rejects).
 */
export function bestF1(normals: readonly number[], defects: readonly number[]): F1Point {
  if (defects.length === 0) throw new RangeError('no defect scores: best F1 needs defective images');
  const all = [...normals.map((s) => ({ s, bad: false })), ...defects.map((s) => ({ s, bad: true }))].sort((a, b) => b.s - a.s);
  let tp = 0;
  let fp = 0;
  let best: F1Point | null = null;
  for (let i = 0; i < all.length; i++) {
    if (all[i]!.bad) tp++;
    else fp++;
    // Only after the last of a run of equal scores: a threshold cannot separate equal scores.
    if (i + 1 < all.length && all[i + 1]!.s === all[i]!.s) continue;
    const precision = tp / (tp + fp);
    const recall = tp / defects.length;
    const f1 = tp === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    if (best === null || f1 > best.f1) best = { threshold: all[i]!.s, f1, precision, recall, falseReject: normals.length === 0 ? 0 : fp / normals.length };
  }
  return best!;
}
