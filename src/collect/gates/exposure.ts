/**
 * Exposure: a frame too dark or too bright hides what the model must see. Judged by the mean grey level and by the
 * share of clipped pixels (at or below 5, at or above 250: detail there is gone for good). Pure.
 */
import { meanStd, type Gray } from './gray.js';

export interface ExposureLimits {
  /** Darker on average than this: too dark. */
  readonly minMean: number;
  /** Brighter on average than this: too bright. */
  readonly maxMean: number;
  /** More than this share of pixels clipped at either end: too dark or too bright. */
  readonly maxClipped: number;
}

export interface Exposure {
  readonly mean: number;
  /** Share of pixels at or below 5. */
  readonly dark: number;
  /** Share of pixels at or above 250. */
  readonly bright: number;
}

export function exposure(gray: Gray): Exposure {
  const n = gray.values.length;
  if (n === 0) return { mean: 0, dark: 1, bright: 0 };
  let dark = 0;
  let bright = 0;
  for (const v of gray.values) {
    if (v <= 5) dark++;
    else if (v >= 250) bright++;
  }
  return { mean: meanStd(gray.values).mean, dark: dark / n, bright: bright / n };
}

const pct = (share: number) => `${(share * 100).toFixed(0)} %`;

/** Why a frame fails the exposure gate, or undefined when it passes. */
export function exposureProblem(gray: Gray, limits: ExposureLimits): string | undefined {
  const e = exposure(gray);
  if (e.mean < limits.minMean || e.dark > limits.maxClipped) return `too dark: mean ${e.mean.toFixed(0)} (at least ${limits.minMean}), ${pct(e.dark)} black (at most ${pct(limits.maxClipped)}) (more light or a longer exposure)`;
  if (e.mean > limits.maxMean || e.bright > limits.maxClipped) return `too bright: mean ${e.mean.toFixed(0)} (at most ${limits.maxMean}), ${pct(e.bright)} white (at most ${pct(limits.maxClipped)}) (less light, a shorter exposure or a smaller aperture)`;
  return undefined;
}
