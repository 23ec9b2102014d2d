/**
 * Area under the ROC curve from ranks (the Mann-Whitney U statistic), as models/uniad/metrics.py computes it:
 * AUROC = P(positive scores higher) + 0.5 · P(tie). Tied scores share their average rank, which gives that 0.5.
 * Pixel AUROC ranks millions of values, so both sides are sorted natively (typed-array sort) and merged, instead of
 * sorting an index array through a comparator.
 */

/**
 * AUROC of `scores` with `labels` (non-zero = anomalous, the positive class); NaN when one class is absent.
 * Neither input is modified.
 */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): number {
  if (scores.length !== labels.length) throw new RangeError(`auroc: ${scores.length} scores but ${labels.length} labels`);
  const all = Float64Array.from(scores);
  let nPos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) nPos++;
  const nNeg = all.length - nPos;
  if (nPos === 0 || nNeg === 0) return Number.NaN;
  const pos = new Float64Array(nPos);
  for (let i = 0, j = 0; i < labels.length; i++) if (labels[i]) pos[j++] = all[i]!;
  if (all.some(Number.isNaN)) throw new RangeError('auroc: a score is NaN');
  all.sort();
  pos.sort();
  // For each distinct positive value v: its average rank among all values is (#below v) + (#equal v + 1) / 2.
  let rankSum = 0;
  let below = 0;
  for (let p = 0; p < nPos; ) {
    const v = pos[p]!;
    let samePos = 0;
    while (p < nPos && pos[p] === v) {
      samePos++;
      p++;
    }
    while (below < all.length && all[below]! < v) below++;
    let equal = 0;
    while (below + equal < all.length && all[below + equal] === v) equal++;
    rankSum += samePos * (below + (equal + 1) / 2);
  }
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}
