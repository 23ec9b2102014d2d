import { Subject, takeUntil, type Observable } from 'rxjs';
import type { ModelConfig } from '../config.js';
import { inspect, type Scorer } from '../pipeline/inspect.js';
import type { ModelRef } from '../pipeline/threshold-sources.js';
import type { Decision, Frame, Logger, Reason } from '../types.js';
import { queuedFramesPerCamera, type FlowControl } from './flow-control.js';

export interface InspectionOptions {
  readonly model: ModelConfig;
  /** The threshold of a frame under the model that scores it (line-control.ts). */
  readonly thresholdFor: (frame: Frame, model: ModelRef) => number;
  readonly flow: FlowControl;
  /** Distinguishes service runs in verdict ids. */
  readonly runId: string;
  /** Every decision, in order: the sink's publish first, then the caller's observer. */
  readonly publish: (decision: Decision) => void;
  readonly onDecision?: (decision: Decision) => void;
  /** Whether the live pipeline is idle, after every change (the shadow model runs only then). */
  readonly onIdle?: (idle: boolean) => void;
  /** Every frame the model scored, with what was not finite in its output. */
  readonly onScored?: (frame: Frame, nonFinite: string | undefined) => void;
  readonly logger: Logger;
}

export interface InspectionCounts {
  readonly frames: number;
  readonly decisions: Readonly<Record<Reason, number>>;
}

export interface Inspection {
  /** Resolves when every frame taken has its decision: all cameras ended, finish() drained, or the pipeline failed. */
  readonly drained: Promise<void>;
  counts(): InspectionCounts;
  /** Takes no more frames and waits up to `limitMs` for those in flight to be decided. */
  finish(limitMs: number): Promise<void>;
}

/** Runs every frame through the model (pipeline/inspect.ts) and hands each decision on, counting them. */
export function runInspection(frames$: Observable<Frame>, scorer: Scorer, opts: InspectionOptions): Inspection {
  const { model, logger } = opts;
  const stop$ = new Subject<void>();
  let frames = 0;
  const decisions = { ok: 0, anomaly: 0, deadline: 0, error: 0 };
  let finished!: () => void;
  const drained = new Promise<void>((resolve) => (finished = resolve));
  frames$
    .pipe(
      takeUntil(stop$),
      inspect(scorer, {
        batchMaxSize: model.batchMaxSize,
        batchMaxWaitMs: model.batchMaxWaitMs,
        deadlineMs: model.deadlineMs,
        failSafe: model.failSafe,
        thresholdFor: opts.thresholdFor,
        runId: opts.runId,
        maxQueuedPerCamera: queuedFramesPerCamera,
        overloadFor: opts.flow.overloadFor,
        onBacklog: opts.flow.onBacklog,
        onIdle: opts.onIdle,
        onScored: opts.onScored,
        logger,
      }),
    )
    .subscribe({
      next: (decision) => {
        frames++;
        decisions[decision.verdict.reason]++;
        opts.publish(decision);
        opts.onDecision?.(decision);
      },
      error: (err: Error) => {
        logger.error('pipeline failed', { error: err.message });
        finished();
      },
      complete: finished,
    });

  return {
    drained,
    counts: () => ({ frames, decisions: { ...decisions } }),
    finish: async (limitMs) => {
      stop$.next();
      const timedOut = await Promise.race([drained.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), limitMs).unref())]);
      if (timedOut) logger.warn('in-flight frames did not drain in time', { ms: limitMs });
    },
  };
}
