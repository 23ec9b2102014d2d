/** Arithmetic of the benchmark: percentiles, means, interpolation. Pure. */

/** The p-th percentile (0..100) of `xs` by nearest rank; NaN for no values. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * Samples a p99 needs to be more than the maximum: of fewer than 100, nearest rank makes the p99 the largest sample,
 * and a report would show the maximum under the name of a tail it never measured.
 */
export const minSamplesForP99 = 100;

export interface Spread {
  /** Samples the figures rest on. */
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  /** null below `minSamplesForP99` samples. */
  readonly p99: number | null;
  readonly max: number;
}

export function spread(xs: readonly number[]): Spread {
  return { n: xs.length, p50: percentile(xs, 50), p95: percentile(xs, 95), p99: xs.length >= minSamplesForP99 ? percentile(xs, 99) : null, max: percentile(xs, 100) };
}

/**
 * y at `x` from points sorted by x, linear between neighbours, clamped to the ends: raw frames/s at a pipeline's
 * mean batch size, which falls between the batch sizes measured.
 */
export function interpolate(points: readonly (readonly [number, number])[], x: number): number {
  if (points.length === 0) return NaN;
  if (x <= points[0]![0]) return points[0]![1];
  for (let i = 1; i < points.length; i++) {
    const [x1, y1] = points[i]!;
    if (x <= x1) {
      const [x0, y0] = points[i - 1]!;
      return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
    }
  }
  return points.at(-1)![1];
}
