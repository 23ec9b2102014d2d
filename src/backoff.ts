/**
 * Capped exponential backoff between restarts: of a camera's capture process (capped at 5 s: sources/capture.ts
 * `cameraBackoff`), of the inference worker (`defaultBackoff`: its restart loads a model).
 */
export interface BackoffPolicy {
  /** Delay before the first restart. */
  readonly initialMs: number;
  /** No delay exceeds this, however many attempts failed. */
  readonly maxMs: number;
  /** Each further attempt waits this many times longer. */
  readonly factor: number;
}

export const defaultBackoff: BackoffPolicy = { initialMs: 500, maxMs: 30_000, factor: 2 };

/** Delay before restart `attempt` (1 = the first restart after a healthy run). */
export function backoffDelay(attempt: number, policy: BackoffPolicy): number {
  return Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt - 1));
}
