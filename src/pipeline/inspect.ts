/**
 * `inspect`: the merged frames of every camera in, exactly one Decision per frame out (batched across cameras, scored,
 * decided; fail-safe verdicts for frames past their deadline, shed or unscorable).
 *
 * Folder pipeline/: from frames to decisions: batching, the inference worker and its onnxruntime session, the model
 * contract, scores, thresholds, deadlines, overload. It imports shared modules at src/ only: never sources/, sinks/,
 * broker/, http/, images/, evidence/, the commands, config.ts or the wiring (docs/architecture.md).
 */
import { asyncScheduler, catchError, EMPTY, Observable, tap, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { silentLogger } from '../log.js';
import { inputCount, inputsFit, modelInputs, regionInferences } from '../tiles/frame.js';
import type { Decision, FailSafe, Frame, Inference, Logger, ModelSidecar, RegionLayout } from '../types.js';
import { batchFrames } from './batch.js';
import { nextExpiry, partitionExpired } from './deadline.js';
import { decide, decideRegions, failSafeRegions, failSafeVerdict, type RegionCall } from './decide.js';
import { takeFair } from './fair-batch.js';
import { nonFiniteOutput } from './finite.js';
import { shedOverload, type OverloadPolicy } from './overload.js';
import { preciseNow } from './precise-clock.js';
import { scorePoolOf } from './sidecar.js';
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
   * so a verdict's `model` and `threshold` belong together even when the model is swapped during the run. With
   * `region`, the threshold of that region of the frame (its product, its own threshold).
   */
  readonly thresholdFor: (frame: Frame, model: ModelRef, region?: RegionLayout) => number;
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
  /** Epoch ms, the clock of `Frame.capturedAt`: the time a verdict is decided at, for people. */
  readonly now?: () => number;
  /**
   * Monotonic ms (`performance.now()`): what deadlines are counted on. A frame's age is read from the wall clock once,
   * as it comes in (capture is microseconds before); from then on a step of the wall clock moves no deadline.
   */
  readonly monotonic?: () => number;
  readonly scheduler?: SchedulerLike;
  readonly logger?: Logger;
}

/** A frame that went to the engine: its model inputs (tiles), what came back of them, the model it started on. */
interface Started {
  readonly frame: Frame;
  readonly inputs: readonly Frame[];
  readonly results: Inference[];
  readonly model: ModelRef;
  /** Inputs handed to the engine so far, and scored so far. */
  sent: number;
  scored: number;
  /** Decided already (fail-safe): nothing more of it is run or decided. */
  decided: boolean;
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
 *
 * A frame with regions (tiles/frame.ts) is ONE unit with several model inputs: `batchMaxSize` counts inputs, its
 * inputs go to the engine in order, and it is decided once, when the last of them is scored. Its turn, its deadline
 * and its shedding are the frame's: a frame whose inputs do not all fit a batch fills it and goes on first in the
 * next, never shed or expired once started; a failed run fails the whole frame. So no frame is half decided.
 */
export function inspect(engine: Scorer, options: InspectOptions): OperatorFunction<Frame, Decision> {
  const { batchMaxSize, batchMaxWaitMs, deadlineMs, failSafe, runId, maxQueuedPerCamera } = options;
  const overloadFor = options.overloadFor ?? (() => 'drop-oldest' as const);
  const scheduler = options.scheduler ?? asyncScheduler;
  const now = options.now ?? Date.now;
  const monotonic = options.monotonic ?? (() => performance.now());
  const logger = options.logger ?? silentLogger;
  const { height, width } = engine.sidecar.input;

  return (source) =>
    new Observable<Decision>((subscriber) => {
      let queue: Frame[] = [];
      /** When each frame was captured on the monotonic clock. */
      const captured = new WeakMap<Frame, number>();
      const capturedOn = (frame: Frame) => captured.get(frame) ?? monotonic();
      // an age read across a wall-clock step is wrong by the step: it is clamped to what a deadline can tell apart
      const arrived = (frame: Frame) => captured.set(frame, monotonic() - Math.min(Math.max(0, now() - frame.capturedAt), deadlineMs + 1));
      /** A started frame with inputs still to send (at most one: the frame a batch was split on). */
      let current: Started | null = null;
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

      const regionCalls = (frame: Frame, model: ModelRef): RegionCall[] =>
        (frame.regions ?? []).map(({ layout }) => ({ name: layout.name, product: layout.product ?? frame.product, threshold: options.thresholdFor(frame, model, layout) }));

      const failed = (frames: readonly Frame[], reason: 'deadline' | 'error', model = currentModel()) => {
        for (const frame of frames) {
          const threshold = options.thresholdFor(frame, model);
          const verdict = frame.regions === undefined
            ? failSafeVerdict(frame, reason, failSafe, threshold, model.id, runId, now())
            : failSafeRegions(frame, reason, failSafe, threshold, regionCalls(frame, model), model.id, runId, now());
          subscriber.next({ verdict, frame, ...times(frame) });
        }
      };

      /** A started frame ends here, scored or not: once. */
      const failStarted = (work: Started, reason: 'error') => {
        if (work.decided) return;
        work.decided = true;
        if (current === work) current = null;
        failed([work.frame], reason, work.model);
      };

      /** Every input of `work` is scored: its one decision. */
      const finish = (work: Started) => {
        work.decided = true;
        const { frame, results, model } = work;
        const nonFinite = results.map(nonFiniteOutput).find((bad) => bad !== undefined);
        options.onScored?.(frame, nonFinite);
        if (nonFinite !== undefined) return failed([frame], 'error', model);
        if (frame.regions === undefined) {
          const inference = results[0]!;
          return subscriber.next({ verdict: decide(frame, inference, options.thresholdFor(frame, model), model.id, runId, now()), frame, inference, ...times(frame) });
        }
        const regions = regionInferences(frame, results, scorePoolOf(model.sidecar));
        const { verdict, deciding } = decideRegions(frame, regionCalls(frame, model), regions.map((r) => r.score), model.id, runId, now());
        const last = results[results.length - 1]!;
        const inference: Inference = { ...regions[deciding]!, ...(last.run ? { run: last.run } : {}), regions, region: deciding };
        subscriber.next({ verdict, frame, inference, ...times(frame) });
      };

      const shedExpired = () => {
        const { live, expired } = partitionExpired(queue, deadlineMs, monotonic(), capturedOn);
        queue = live;
        failed(expired, 'deadline');
      };

      // One timer for the earliest deadline among waiting frames, re-aimed after every change of the queue.
      const armSweep = () => {
        sweep?.unsubscribe();
        sweep = null;
        const next = nextExpiry(queue, deadlineMs, capturedOn);
        if (next === null) return;
        sweep = scheduler.schedule(() => {
          sweep = null;
          pump();
        }, Math.max(0, next - monotonic() + 1));
      };

      /** The next batch: what is left of the split frame first, then frames in turn (fair-batch.ts). */
      const nextBatch = (model: ModelRef): { work: Started; index: number }[] => {
        const items: { work: Started; index: number }[] = [];
        const send = (work: Started, count: number) => {
          for (let k = 0; k < count; k++) items.push({ work, index: work.sent++ });
        };
        if (current !== null && current.model.id !== model.id) {
          // The model changed between its batches: one verdict must rest on one model's scores.
          logger.warn('the model changed while a frame was being scored; it gets a fail-safe verdict', { camera: current.frame.camera, seq: current.frame.seq });
          failStarted(current, 'error');
        }
        if (current !== null) {
          const work = current;
          send(work, Math.min(batchMaxSize, work.inputs.length - work.sent));
          if (work.sent === work.inputs.length) current = null;
        }
        if (items.length < batchMaxSize && queue.length > 0) {
          const { batch, rest, split } = takeFair(queue, batchMaxSize - items.length, inputCount);
          queue = rest;
          const start = (frame: Frame): Started => ({ frame, inputs: modelInputs(frame), results: [], model, sent: 0, scored: 0, decided: false });
          for (const frame of batch) {
            const work = start(frame);
            send(work, work.inputs.length);
          }
          if (split !== undefined) {
            current = start(split.frame);
            send(current, split.inputs);
          }
        }
        return items;
      };

      const score = (items: { work: Started; index: number }[], model: ModelRef) => {
        running = true;
        engine
          .run(items.map(({ work, index }) => work.inputs[index]!))
          .then(
            (inferences) => {
              running = false;
              if (closed) return;
              items.forEach(({ work, index }, i) => {
                if (work.decided) return;
                work.results[index] = inferences[i]!;
                if (++work.scored === work.inputs.length) finish(work);
              });
            },
            (err: unknown) => {
              running = false;
              if (closed) return;
              const frames = new Set(items.map((i) => i.work));
              logger.warn('inference run failed; its frames get fail-safe verdicts', { frames: frames.size, error: (err as Error).message });
              for (const work of frames) failStarted(work, 'error');
            },
          )
          .then(pump)
          .catch((err: unknown) => subscriber.error(err));
      };

      const pump = () => {
        if (closed) return;
        shedExpired();
        if (!running && (current !== null || queue.length > 0)) {
          // Read with the call, in the same tick: a supervisor starts the run on the engine that is current now.
          const model = currentModel();
          const items = nextBatch(model);
          if (items.length > 0) score(items, model);
        }
        const { kept, shed } = shedOverload(queue, maxQueuedPerCamera, overloadFor);
        queue = kept;
        failed(shed, 'deadline');
        if (options.onBacklog) options.onBacklog(countByCamera(queue));
        options.onIdle?.(!running && queue.length === 0 && current === null);
        armSweep();
        if (running || queue.length > 0 || current !== null || !sourceDone) return;
        if (sourceError !== null) subscriber.error(sourceError.error);
        else subscriber.complete();
      };

      const enqueue = (batch: Frame[]) => {
        const at = preciseNow();
        for (const frame of batch) batchedAt.set(frame, at);
        const fits = (f: Frame) => inputsFit(f, { width, height });
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
          tap(arrived),
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
        current = null;
        upstream.unsubscribe();
        sweep?.unsubscribe();
        sweep = null;
        queue = [];
      };
    });
}
