/**
 * A model output that is not a finite number decides nothing: NaN compares false with every threshold, so a NaN
 * score would pass as `ok`. Pure.
 */
import type { Inference } from '../types.js';

function countNonFinite(values: Float32Array): number {
  let bad = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) bad++;
  return bad;
}

/** What is not finite in `inference` ("score is NaN", "anomaly map: 3 of 4096 values not finite"), or undefined. */
export function nonFiniteOutput(inference: Pick<Inference, 'score' | 'anomalyMap'>): string | undefined {
  const bad = countNonFinite(inference.anomalyMap);
  const map = bad > 0 ? `anomaly map: ${bad} of ${inference.anomalyMap.length} values not finite` : undefined;
  if (!Number.isFinite(inference.score)) return map ? `score is ${inference.score}, ${map}` : `score is ${inference.score}`;
  return map;
}
