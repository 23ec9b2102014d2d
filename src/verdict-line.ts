import type { Verdict } from './types.js';

/** One human-readable line a verdict, for the demo's and the journal's stdout. */
export function formatVerdict(v: Verdict): string {
  const score = v.score === null ? '   -   ' : v.score.toFixed(4).padStart(7);
  const decision = v.reject ? 'REJECT' : 'ok    ';
  return `${new Date(v.decidedAt).toISOString()} ${v.line}/${v.camera} #${String(v.seq).padEnd(5)} ${v.product.padEnd(12)} score ${score} / ${v.threshold.toFixed(4)} ${decision} ${v.reason}`;
}
