import { asyncScheduler, catchError, EMPTY, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { silentLogger } from '../log.js';
import type { Decision, FailSafe, Frame, Inference, Logger, ModelSidecar } from '../types.js';
import { batchFrames } from './batch.js';
import { nextExpiry, partitionExpired } from './deadline.js';
import { decide, failSafeVerdict } from './decide.js';
import { takeFair } from './fair-batch.js';
import { nonFiniteOutput } from './finite.js';
import { shedOverload, type OverloadPolicy } from './overload.js';
import { preciseNow } from './precise-clock.js';
import type { ModelRef } from './threshold-sources.js';

/** What inspect needs of the engine (InferenceEngine satisfies it). */
export interface Scorer {
  readonly modelId: string;
  readonly sidecar: ModelSidecar;
  run(frames: readonly Frame[]): Promise<Inference[]>;
}

export interface InspectOptions {
  readonly batchMaxSize: number;
  readonly batchMaxWaitMs: number;
  /** A frame that has not started inference this many ms after capture gets a fail-safe `deadline` verdict. */
  readonly deadlineMs: number;
  readonly failSafe: FailSafe;
  /**
   * The threshold of a frame scored (or, for fail-safe verdicts, not scored) by `model`: the model a batch STARTED on,
   * so a verdict's `model` and `threshold` belong together even when the model is swapped during the run.
   */
  readonly thresholdFor: (frame: Frame, model: ModelRef) => number;
  /** Distinguishes service runs in verdict ids. */
  readonly runId: string;
  /** Frames of one camera waiting for the busy engine, at most (`drop-oldest`); beyond it they are shed at once. */
  readonly maxQueuedPerCamera: number;
  /** Each camera's overload policy (overload.ts); default `drop-oldest`. */
  readonly overloadFor?: (camera: string) => OverloadPolicy;
  /** Every frame the model scored, with what is not finite in its output (undefined: all finite). */
  readonly onScored?: (frame: Frame, nonFinite: string | undefined) => void;
  /** After every change: true when no frame waits and no run is in flight (a shadow model may use the time). */
  readonly onIdle?: (idle: boolean) => void;
  /** Frames waiting per camera after every change of the queue (cameras with none are absent): for back-pressure. */
  readonly onBacklog?: (waiting: ReadonlyMap<string, number>) => void;
  /** Epoch ms, the clock of `Frame.capturedAt`. */
  readonly now?: () => number;
  readonly scheduler?: SchedulerLike;
  readonly logger?: Logger;
}

function countByCamera(frames: readonly Frame[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of frames) counts.set(f.camera, (counts.get(f.camera) ?? 0) + 1);
  return counts;
}

/**
 * Frames of all cameras in, one Decision per frame out — never fewer, never more.
 *
 * Frames are batched (batchFrames) and scored ONE batch at a time. While the engine is busy, ready frames wait in a
 * bounded queue and are coalesced into full batches when it frees, cameras taking turns (fair-batch.ts). A waiting
 * frame past its deadline gets its fail-safe verdict when the deadline passes (not when the engine frees, which may
 * be too late for the actuator).
 * What waits is bounded per camera by its overload policy (overload.ts); a shed frame gets its `deadline` verdict at
 * once. Only frames that WAIT are shed: a frame that can go to an idle engine always does.
 * A failed run gives `error` verdicts for its frames, as does a score or map that is not finite (finite.ts: a NaN
 * would otherwise pass every threshold test as `ok`) and a frame of the wrong size, alone, before batching
 * could poison a batch with it. When the source errors, what it already delivered is still decided, then the error
 * passes on.
 */
export function inspect(engine: Scorer, options: InspectOptions): OperatorFunction<Frame, Decision> {
  const { batchMaxSize, batchMaxWaitMs, deadlineMs, failSafe, runId, maxQueuedPerCamera } = options;
  const overloadFor = options.overloadFor ?? (() => 'drop-oldest' as const);
  const scheduler = options.scheduler ?? asyncScheduler;
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const { height, width } = engine.sidecar.input;

  return (source) =>
    new Observable<Decision>((subscriber) => {
      let queue: Frame[] = [];
      /** When each frame's batch was complete (precise clock), for the decision's stage times. */
      const batchedAt = new WeakMap<Frame, number>();
      const times = (frame: Frame) => {
        const at = batchedAt.get(frame);
        return at === undefined ? {} : { times: { batchedAt: at, decidedAt: preciseNow() } };
      };
      let running = false;
      let sourceDone = false;
      let sourceError: { error: unknown } | null = null;
      let sweep: Subscription | null = null;
      let closed = false;

      const currentModel = (): ModelRef => ({ id: engine.modelId, sidecar: engine.sidecar });

      const failed = (frames: readonly Frame[], reason: 'deadline' | 'error', model = currentModel()) => {
        for (const frame of frames) {
          const verdict = failSafeVerdict(frame, reason, failSafe, options.thresholdFor(frame, model), model.id, runId, now());
          subscriber.next({ verdict, frame, ...times(frame) });
        }
      };

      const shedExpired = () => {
        const { live, expired } = partitionExpired(queue, deadlineMs, now());
        queue = live;
        failed(expired, 'deadline');
      };

      // One timer for the earliest deadline among waiting frames, re-aimed after every change of the queue.
      const armSweep = () => {
        sweep?.unsubscribe();
        sweep = null;
        const next = nextExpiry(queue, deadlineMs);
        if (next === null) return;
        sweep = scheduler.schedule(() => {
          sweep = null;
          pump();
        }, Math.max(0, next - now() + 1));
      };

      const score = (batch: Frame[]) => {
        running = true;
        // Read with the call, in the same tick: a supervisor starts the run on the engine that is current now.
        const model = currentModel();
        engine
          .run(batch)
          .then(
            (inferences) => {
              running = false;
              if (closed) return;
              batch.forEach((frame, i) => {
                const inference = inferences[i]!;
                const nonFinite = nonFiniteOutput(inference);
                options.onScored?.(frame, nonFinite);
                if (nonFinite !== undefined) failed([frame], 'error', model);
                else subscriber.next({ verdict: decide(frame, inference, options.thresholdFor(frame, model), model.id, runId, now()), frame, inference, ...times(frame) });
              });
            },
            (err: unknown) => {
              running = false;
              if (closed) return;
              logger.warn('inference run failed; its frames get fail-safe verdicts', { frames: batch.length, error: (err as Error).message });
              failed(batch, 'error', model);
            },
          )
          .then(pump)
          .catch((err: unknown) => subscriber.error(err));
      };

      const pump = () => {
        if (closed) return;
        shedExpired();
        if (!running && queue.length > 0) {
          const { batch, rest } = takeFair(queue, batchMaxSize);
          queue = rest;
          score(batch);
        }
        const { kept, shed } = shedOverload(queue, maxQueuedPerCamera, overloadFor);
        queue = kept;
        failed(shed, 'deadline');
        if (options.onBacklog) options.onBacklog(countByCamera(queue));
        options.onIdle?.(!running && queue.length === 0);
        armSweep();
        if (running || queue.length > 0 || !sourceDone) return;
        if (sourceError !== null) subscriber.error(sourceError.error);
        else subscriber.complete();
      };

      const enqueue = (batch: Frame[]) => {
        const at = preciseNow();
        for (const frame of batch) batchedAt.set(frame, at);
        const fits = (f: Frame) => f.width === width && f.height === height && f.pixels.length === width * height * 3;
        failed(batch.filter((f) => !fits(f)), 'error');
        queue.push(...batch.filter(fits));
        pump();
      };

      const upstream = source
        .pipe(
          // An error must not drop the frames batchFrames still holds: complete instead, so they flush, and
          // raise the error once they are decided.
          catchError((error: unknown) => {
            sourceError = { error };
            return EMPTY;
          }),
          batchFrames<Frame>(batchMaxSize, batchMaxWaitMs, scheduler),
        )
        .subscribe({
          next: enqueue,
          complete: () => {
            sourceDone = true;
            pump();
          },
        });

      return () => {
        closed = true;
        upstream.unsubscribe();
        sweep?.unsubscribe();
        sweep = null;
        queue = [];
      };
    });
}
