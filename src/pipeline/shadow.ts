/**
 * A candidate model beside the live one, on the same frames, never acted on. Its worker is its own (a second
 * InferenceEngine). It runs ONLY while the live pipeline is idle (nothing waiting, no run in flight; inspect.ts
 * `onIdle`), one frame at a time, so it never holds a live frame back; what it cannot get to is dropped (oldest
 * first) and counted as skipped. Its verdicts carry its own model id and threshold.
 */
import type { Decision, Frame, Inference, Logger, Verdict } from '../types.js';
import { decide } from './decide.js';
import { ShadowStats, type ShadowSummary } from './shadow-stats.js';
import type { ModelRef } from './threshold-sources.js';

/** What the shadow needs of its engine (InferenceEngine satisfies it). */
export interface ShadowEngine {
  readonly modelId: string;
  readonly sidecar: ModelRef['sidecar'];
  run(frames: readonly Frame[]): Promise<Inference[]>;
}

export interface ShadowOptions {
  readonly live: string;
  readonly thresholdFor: (frame: Frame, model: ModelRef) => number;
  readonly runId: string;
  /** Every shadow verdict, with the live one it is compared with. */
  readonly onVerdict: (shadow: Verdict, live: Verdict) => void;
  readonly logger: Logger;
  /** Scored live frames that may wait for an idle moment; older ones are skipped. Default 16. */
  readonly maxWaiting?: number;
  readonly now?: () => number;
}

export class ShadowRunner {
  private waiting: Decision[] = [];
  private liveIdle = false;
  private running = false;
  private closed = false;
  private readonly stats: ShadowStats;

  constructor(
    private readonly engine: ShadowEngine,
    private readonly opts: ShadowOptions,
  ) {
    this.stats = new ShadowStats(opts.live, engine.modelId);
  }

  /** A live decision: a scored one waits for the candidate (fail-safe verdicts have nothing to compare). */
  offer(decision: Decision): void {
    if (this.closed || decision.verdict.score === null) return;
    this.waiting.push(decision);
    const max = this.opts.maxWaiting ?? 16;
    if (this.waiting.length > max) this.stats.skipped(this.waiting.splice(0, this.waiting.length - max).length);
    this.pump();
  }

  /** Whether the live pipeline is idle now (inspect's onIdle). */
  setLiveIdle(idle: boolean): void {
    this.liveIdle = idle;
    this.pump();
  }

  summary(): ShadowSummary {
    return this.stats.summary();
  }

  /** Stops taking frames; what waits is skipped. */
  close(): void {
    this.closed = true;
    this.stats.skipped(this.waiting.length);
    this.waiting = [];
  }

  private pump(): void {
    if (this.closed || this.running || !this.liveIdle || this.waiting.length === 0) return;
    const live = this.waiting.shift()!;
    this.running = true;
    const model = { id: this.engine.modelId, sidecar: this.engine.sidecar };
    this.engine
      .run([live.frame])
      .then(
        ([inference]) => {
          if (this.closed || inference === undefined || !Number.isFinite(inference.score)) return;
          const verdict = decide(live.frame, inference, this.opts.thresholdFor(live.frame, model), model.id, this.opts.runId, (this.opts.now ?? Date.now)());
          this.stats.add(live.verdict.id, live.verdict.score!, live.verdict.reject, verdict.score!, verdict.reject);
          this.opts.onVerdict(verdict, live.verdict);
        },
        (err: Error) => {
          this.stats.skipped();
          this.opts.logger.warn('shadow model run failed', { model: model.id, error: err.message });
        },
      )
      .finally(() => {
        this.running = false;
        this.pump();
      });
  }
}
