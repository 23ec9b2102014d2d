/**
 * A promoted model's probation: for a window after it goes live, each of its decisions is counted against the
 * guards of `registry.probation`; the first guard it trips says why it is rolled back. Pure: the caller feeds the
 * decisions and the clock (service/registry.ts).
 *
 *   non-finite output   frames whose score or map was not a finite number (the caller counts them as they are scored)
 *   inference errors    the other `error` verdicts: frames the model failed to score (the worker failed or hung)
 *   reject rate         rejects (anomaly) over frames decided, once `minFrames` were
 */
import type { Decision } from '../types.js';

export interface ProbationGuards {
  readonly seconds: number;
  /** Tripped when more frames than this gave non-finite output. */
  readonly maxNonFinite: number;
  readonly maxInferenceErrors: number;
  /** Tripped when more than this fraction of the frames decided were rejects as anomalies. */
  readonly maxRejectRate: number;
  /** Frames decided before the reject rate is judged. */
  readonly minFrames: number;
}

export interface ProbationCounts {
  readonly frames: number;
  readonly rejects: number;
  readonly nonFinite: number;
  readonly inferenceErrors: number;
}

export type ProbationState = { readonly state: 'running' } | { readonly state: 'passed'; readonly counts: ProbationCounts } | { readonly state: 'tripped'; readonly cause: string; readonly counts: ProbationCounts };

export class Probation {
  private counts: ProbationCounts = { frames: 0, rejects: 0, nonFinite: 0, inferenceErrors: 0 };
  private outcome: ProbationState = { state: 'running' };
  private errors = 0;
  readonly until: number;

  /** `model`: the model id on probation; decisions of any other model (frames in flight at the swap) do not count. */
  constructor(
    readonly model: string,
    private readonly guards: ProbationGuards,
    startedAt: number,
  ) {
    this.until = startedAt + guards.seconds * 1000;
  }

  get state(): ProbationState {
    return this.outcome;
  }

  /**
   * Counts one decision made at `now`; `nonFinite`: the frames with non-finite output since the window began, as the
   * caller counted them when they were scored (each also has an `error` verdict). Returns the state after it.
   */
  observe(decision: Decision, now: number, nonFinite: number): ProbationState {
    if (this.outcome.state !== 'running') return this.outcome;
    if (now >= this.until) return this.tick(now);
    const { verdict } = decision;
    if (verdict.model !== this.model) return this.outcome;
    const c = this.counts;
    this.errors += verdict.reason === 'error' ? 1 : 0;
    this.counts = {
      frames: c.frames + 1,
      rejects: c.rejects + (verdict.reason === 'anomaly' ? 1 : 0),
      nonFinite,
      inferenceErrors: Math.max(0, this.errors - nonFinite),
    };
    const cause = tripped(this.counts, this.guards);
    if (cause !== undefined) this.outcome = { state: 'tripped', cause, counts: this.counts };
    return this.outcome;
  }

  /** The window ended at `now` without a guard tripping: passed. */
  tick(now: number): ProbationState {
    if (this.outcome.state === 'running' && now >= this.until) this.outcome = { state: 'passed', counts: this.counts };
    return this.outcome;
  }
}

/** The first guard `counts` trips, said as a person reads it; undefined when none. Pure. */
export function tripped(c: ProbationCounts, g: ProbationGuards): string | undefined {
  if (c.nonFinite > g.maxNonFinite) return `non-finite output on ${c.nonFinite} of ${c.frames} frames (registry.probation.maxNonFinite ${g.maxNonFinite})`;
  if (c.inferenceErrors > g.maxInferenceErrors) return `inference failed on ${c.inferenceErrors} of ${c.frames} frames (registry.probation.maxInferenceErrors ${g.maxInferenceErrors})`;
  if (c.frames >= g.minFrames && c.rejects / c.frames > g.maxRejectRate) {
    return `reject rate ${((100 * c.rejects) / c.frames).toFixed(1)} % over ${c.frames} frames (registry.probation.maxRejectRate ${(100 * g.maxRejectRate).toFixed(1)} %)`;
  }
  return undefined;
}
