/**
 * The one range a threshold may take, wherever it comes from: the config (`threshold`, `thresholds`), a
 * `threshold/set` command, a thresholds file and the live thresholds kept in the state folder. Pure.
 *
 * A UniAD score is a distance, from about 0.1 to a few hundred with the models we ship; the bounds only keep out what
 * cannot be meant (0, a negative, 1e300 that passes every part as `ok`). Whether a value fits the model's own scale
 * is a second check, against the model (pipeline/threshold.ts `plausibleThresholds`).
 */
export const thresholdBounds = { min: 1e-9, max: 1e9 } as const;

/** The bounds as messages show them: `1e-9 to 1e9`. */
export const thresholdRange = [thresholdBounds.min, thresholdBounds.max].map((n) => n.toExponential().replace('e+', 'e')).join(' to ');

/** Why `value` cannot be a threshold, or undefined when it can. */
export function thresholdProblem(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'is not a finite number';
  if (value < thresholdBounds.min || value > thresholdBounds.max) return `is outside ${thresholdRange}`;
  return undefined;
}
