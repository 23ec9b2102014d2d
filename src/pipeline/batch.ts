import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

/**
 * Collects items into batches: emits when `maxSize` items are in, or `maxWaitMs` after the FIRST item of the
 * current batch arrived, whichever comes first. Unlike `bufferTime` there is no free-running timer: an idle source
 * costs nothing and a lone frame waits at most `maxWaitMs`, never up to two periods. `maxWaitMs` 0 emits every item
 * at once, with no timer: a zero timeout is still a timer turn (about 1 ms in Node), which is added latency for no
 * batching at all; frames that arrive while the engine is busy still coalesce downstream (inspect.ts).
 *
 * Flushes what it holds when the source completes; never emits an empty array. On error the partial batch is
 * discarded and the error passes on (as `bufferTime` does); callers that must not lose items turn the error into
 * completion first.
 */
export function batchFrames<T>(maxSize: number, maxWaitMs: number, scheduler: SchedulerLike = asyncScheduler): OperatorFunction<T, T[]> {
  if (!Number.isInteger(maxSize) || maxSize < 1) throw new RangeError(`batchFrames: maxSize must be an integer >= 1, got ${maxSize}`);
  if (!(maxWaitMs >= 0)) throw new RangeError(`batchFrames: maxWaitMs must be >= 0, got ${maxWaitMs}`);

  return (source) =>
    new Observable<T[]>((subscriber) => {
      let batch: T[] | null = null;
      let timer: Subscription | null = null;

      const flush = () => {
        timer?.unsubscribe();
        timer = null;
        // Detach the batch before emitting it, so an item pushed re-entrantly from a subscriber starts a new batch
        // instead of mutating the array just handed out.
        const out = batch;
        batch = null;
        if (out !== null) subscriber.next(out);
      };

      const upstream = source.subscribe({
        next: (item) => {
          if (maxWaitMs === 0) return subscriber.next([item]);
          if (batch === null) {
            batch = [];
            timer = scheduler.schedule(flush, maxWaitMs);
          }
          batch.push(item);
          if (batch.length >= maxSize) flush();
        },
        error: (err) => {
          batch = null;
          subscriber.error(err);
        },
        complete: () => {
          flush();
          subscriber.complete();
        },
      });

      return () => {
        upstream.unsubscribe();
        timer?.unsubscribe();
        timer = null;
        batch = null;
      };
    });
}
