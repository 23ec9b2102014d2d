import { Subject, takeUntil, type Observable } from 'rxjs';
import type { ModelConfig } from '../config.js';
import type { EvidenceArchive } from '../evidence/archive.js';
import { inspect, type Scorer } from '../pipeline/inspect.js';
import type { ModelRef } from '../pipeline/threshold-sources.js';
import { timedScorer } from '../pipeline/timed-scorer.js';
import type { MqttSink } from '../sinks/mqtt-sink.js';
import type { Decision, Frame, Logger, RegionLayout } from '../types.js';
import type { InspectionCounts } from './api.js';
import type { ServiceBase } from './base.js';
import type { Cameras } from './cameras.js';
import { queuedFramesPerCamera, type FlowControl } from './flow-control.js';
import type { Http } from './http.js';
import type { Part } from './lifecycle.js';
import type { LineControl } from './line-control.js';
import type { LiveModel } from './model.js';
import type { Parts } from './parts.js';
import type { Shadow } from './shadow.js';

export interface InspectionOptions {
  readonly model: ModelConfig;
  /** The threshold of a frame under the model that scores it (line-control.ts). */
  readonly thresholdFor: (frame: Frame, model: ModelRef, region?: RegionLayout) => number;
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

export interface Inspection {
  /** Every decision, after it was handed on (for watchers of the live model: the registry's probation). */
  readonly decisions$: Observable<Decision>;
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
  const decisions$ = new Subject<Decision>();
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
        decisions$.next(decision);
      },
      error: (err: Error) => {
        logger.error('pipeline failed', { error: err.message });
        decisions$.complete();
        finished();
      },
      complete: () => {
        decisions$.complete();
        finished();
      },
    });

  return {
    decisions$: decisions$.asObservable(),
    drained,
    counts: () => ({ frames, decisions: { ...decisions } }),
    finish: async (limitMs) => {
      stop$.next();
      const timedOut = await Promise.race([drained.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), limitMs).unref())]);
      if (timedOut) logger.warn('in-flight frames did not drain in time', { ms: limitMs });
    },
  };
}

type Needs = Pick<ServiceBase, 'cfg' | 'logger' | 'runId' | 'onDecision'> & {
  readonly model: LiveModel;
  readonly sink: MqttSink;
  readonly control: LineControl;
  readonly http: Http;
  readonly shadow: Shadow;
  readonly archive: EvidenceArchive | undefined;
  readonly cameras: Cameras;
  readonly parts: Parts;
};

/**
 * The cameras' frames through the live model, each decision to the sink, the parts, the figures, the archive and the
 * shadow model. Stopping takes no more frames (the capture processes stop) and waits for those in flight to be decided.
 */
export const inspection: Part<Needs, 'inspection', Inspection> = {
  name: 'inspection',
  start: ({ cfg, logger, runId, onDecision, model: { live, output }, sink, control, http: { obs }, shadow, archive, cameras: { frames$, flow }, parts }) =>
    runInspection(frames$, timedScorer(live, obs.inferenceRun), {
      model: cfg.model,
      thresholdFor: (frame, model, region) => control.thresholdFor(frame, model, region),
      flow: { ...flow, onBacklog: (waiting) => (flow.onBacklog(waiting), obs.backlog(waiting)) },
      runId,
      publish: (d) => {
        sink.publish(d);
        parts.decided(d);
        obs.decision(d);
        archive?.record(d);
        shadow.offer(d);
      },
      onIdle: (idle) => shadow.setLiveIdle(idle),
      onDecision,
      onScored: (f, bad) => output.observe(f, bad),
      logger,
    }),
  stop: (running, _reason, { cfg }) => running.finish(cfg.model.deadlineMs + 5000),
};
