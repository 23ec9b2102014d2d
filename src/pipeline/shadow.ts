/**
 * A candidate model beside the live one, on the same frames, never acted on. Its worker is its own (a second
 * InferenceEngine). It runs ONLY while the live pipeline is idle (nothing waiting, no run in flight; inspect.ts
 * `onIdle`), one frame at a time, so it never holds a live frame back; what it cannot get to is dropped (oldest
 * first) and counted as skipped. Its verdicts carry its own model id and threshold.
 * A frame with regions is scored as the live pipeline scores it: its tiles in runs of at most `maxBatch`, stitched,
 * each region decided (tiles/frame.ts, decide.ts).
 */
import { modelInputs, regionInferences } from '../tiles/frame.js';
import type { Decision, Frame, Inference, Logger, RegionLayout, Verdict } from '../types.js';
import { decide, decideRegions } from './decide.js';
import { scorePoolOf } from './sidecar.js';
import { ShadowStats, type ShadowSummary } from './shadow-stats.js';
import type { ModelRef, ResolvedThreshold } from './threshold-sources.js';

/** What the shadow needs of its engine (InferenceEngine satisfies it). */
export interface ShadowEngine {
  readonly modelId: string;
  readonly sidecar: ModelRef['sidecar'];
  run(frames: readonly Frame[]): Promise<Inference[]>;
}

export interface ShadowOptions {
  /** The live model now. */
  readonly live: () => ModelRef;
  /**
   * The threshold of a frame (or of its `region`) under a model, and its origin: the one precedence for both sides
   * (threshold-sources.ts), so the candidate decides with what it would decide with once promoted (its thresholds
   * file, else its sidecar).
   */
  readonly thresholdOf: (frame: Frame, model: ModelRef, region?: RegionLayout) => ResolvedThreshold;
  readonly runId: string;
  /** Model inputs (tiles) a run takes at most; default: a frame's all at once. */
  readonly maxBatch?: number;
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
    this.stats = new ShadowStats(opts.live().id, engine.modelId);
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
    this.score(live.frame, model)
      .then(
        (verdict) => {
          if (this.closed || verdict === undefined) return;
          const candidate = this.opts.thresholdOf(live.frame, model).origin;
          const liveModel = this.opts.live();
          // The live verdict's threshold came from its model's sources; after a swap its origin is no longer known.
          const liveOrigin = liveModel.id === live.verdict.model ? this.opts.thresholdOf(live.frame, liveModel).origin : undefined;
          if (liveOrigin !== undefined) this.stats.add(live.verdict.id, live.verdict.score!, live.verdict.reject, verdict.score!, verdict.reject, { live: liveOrigin, candidate });
          else this.stats.skipped();
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

  /**
   * The candidate's verdict on `frame`, its model inputs in runs of at most `maxBatch`; undefined when an output is
   * not finite (nothing to compare). Rejects when a run fails or a region cannot be scored.
   */
  private async score(frame: Frame, model: ModelRef): Promise<Verdict | undefined> {
    const inputs = modelInputs(frame);
    const size = this.opts.maxBatch ?? inputs.length;
    const inferences: Inference[] = [];
    for (let i = 0; i < inputs.length; i += size) inferences.push(...(await this.engine.run(inputs.slice(i, i + size))));
    if (inferences.length === 0 || inferences.some((i) => !Number.isFinite(i.score))) return undefined;
    const now = (this.opts.now ?? Date.now)();
    if (frame.regions === undefined) return decide(frame, inferences[0]!, this.opts.thresholdOf(frame, model).threshold, model.id, this.opts.runId, now);
    const regions = regionInferences(frame, inferences, scorePoolOf(model.sidecar));
    const calls = frame.regions.map(({ layout }) => ({ name: layout.name, product: layout.product ?? frame.product, threshold: this.opts.thresholdOf(frame, model, layout).threshold }));
    return decideRegions(frame, calls, regions.map((r) => r.score), model.id, this.opts.runId, now).verdict;
  }
}
