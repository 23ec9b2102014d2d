/**
 * Near-duplicates: a line that stands still, or a part that stays in view for many frames, would fill the dataset
 * with copies of one picture. Each frame gets a small perceptual fingerprint: its grey image averaged down to 16 × 16
 * cells, less its own mean (so that a slow drift of the light does not make an old picture new). Two frames are
 * near-duplicates when their fingerprints differ by at most a few grey levels on average. Averaging 14 × 14 pixels a
 * cell takes sensor noise out; a part that moved, turned or was replaced changes many cells by tens of levels.
 * (A difference hash, dHash, was tried first: on a plain belt its bits follow the noise, and two shots of one
 * picture came out 19 of 256 bits apart, as far as pictures of a moved part.) Pure.
 */
import type { Gray } from './gray.js';

const cells = 16;

/** The 16 × 16 cell means of the grey image less their own mean; zeros for an empty image. */
export function fingerprint(gray: Gray): Float32Array {
  const out = new Float32Array(cells * cells);
  if (gray.width === 0 || gray.height === 0) return out;
  for (let r = 0; r < cells; r++) {
    const y0 = Math.floor((r * gray.height) / cells);
    const y1 = Math.max(y0 + 1, Math.floor(((r + 1) * gray.height) / cells));
    for (let c = 0; c < cells; c++) {
      const x0 = Math.floor((c * gray.width) / cells);
      const x1 = Math.max(x0 + 1, Math.floor(((c + 1) * gray.width) / cells));
      let sum = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += gray.values[Math.min(y, gray.height - 1) * gray.width + Math.min(x, gray.width - 1)]!;
      out[r * cells + c] = sum / ((y1 - y0) * (x1 - x0));
    }
  }
  let mean = 0;
  for (const v of out) mean += v / out.length;
  return out.map((v) => v - mean);
}

/** Mean absolute difference of two fingerprints, in grey levels. */
export function fingerprintDistance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/** Why a frame repeats one of `kept`, or undefined when it differs from each by more than `maxDistance`. */
export function duplicateProblem(print: Float32Array, kept: readonly Float32Array[], maxDistance: number): string | undefined {
  let nearest = Infinity;
  for (const k of kept) nearest = Math.min(nearest, fingerprintDistance(print, k));
  return nearest <= maxDistance ? `near-duplicate: ${nearest.toFixed(2)} grey levels from a kept frame (at most ${maxDistance}; more than that is a new picture)` : undefined;
}
