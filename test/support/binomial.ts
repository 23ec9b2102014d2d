/**
 * The two-sided binomial interval of a count: for X ~ Binomial(n, p), the smallest `lo` and largest `hi` such that
 * P(X < lo) <= alpha/2 and P(X > hi) <= alpha/2. A measured count outside [lo, hi] is evidence at level alpha that
 * the rate is not p — too many as well as too few.
 */
export function binomialInterval(n: number, p: number, confidence: number): { lo: number; hi: number } {
  const alpha = 1 - confidence;
  // log pmf by the recurrence pmf(x+1) = pmf(x) * (n-x)/(x+1) * p/(1-p): no factorials, no underflow for large n.
  const pmf: number[] = [];
  let log = n * Math.log1p(-p);
  for (let x = 0; x <= n; x++) {
    pmf.push(Math.exp(log));
    log += Math.log(n - x) - Math.log(x + 1) + Math.log(p) - Math.log1p(-p);
  }
  let lo = 0;
  let below = 0;
  while (below + pmf[lo]! <= alpha / 2) below += pmf[lo++]!;
  let hi = n;
  let above = 0;
  while (above + pmf[hi]! <= alpha / 2) above += pmf[hi--]!;
  return { lo, hi };
}
