/**
 * An empty station: no part in view. With a picture of the empty station (taken the same way: a frame of the same
 * camera, crop and size), a frame in which almost no pixel differs from it by more than camera noise is empty; a
 * share of pixels rather than a mean difference, so that a small part on a large belt still counts. Without one, a
 * frame with hardly any contrast at all (a lens cap, a plain belt) is. A blurred part still has the contrast of part
 * against background, which is why this gate asks for contrast and the focus gate for sharp edges. Pure.
 */
import { meanStd, type Gray } from './gray.js';

export interface EmptyLimits {
  /** The empty station's grey levels (grayContent of its picture), or none. */
  readonly reference?: Gray;
  /** With a reference: fewer pixels than this share differing by more than `changedLevels` is the empty station. */
  readonly minChanged: number;
  /** Without one: a standard deviation of the grey levels below this is empty. */
  readonly minContrast: number;
}

/** A grey-level difference beyond camera noise (sensor noise and compression stay within about ±10). */
export const changedLevels = 25;

/** The share of pixels of two grey images of one size that differ by more than `changedLevels`; undefined when their sizes differ. */
export function changedShare(a: Gray, b: Gray): number | undefined {
  if (a.width !== b.width || a.height !== b.height) return undefined;
  if (a.values.length === 0) return 0;
  let changed = 0;
  for (let i = 0; i < a.values.length; i++) if (Math.abs(a.values[i]! - b.values[i]!) > changedLevels) changed++;
  return changed / a.values.length;
}

/** Why a frame is an empty station, or undefined when something is in view. */
export function emptyProblem(gray: Gray, limits: EmptyLimits): string | undefined {
  const changed = limits.reference === undefined ? undefined : changedShare(gray, limits.reference);
  if (changed !== undefined) {
    const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
    return changed < limits.minChanged ? `empty station: ${pct(changed)} of the pixels differ from the empty-station picture (a part changes at least ${pct(limits.minChanged)})` : undefined;
  }
  const { std } = meanStd(gray.values);
  return std < limits.minContrast ? `empty station: contrast (grey-level standard deviation) ${std.toFixed(1)} below ${limits.minContrast}, nothing in view` : undefined;
}
