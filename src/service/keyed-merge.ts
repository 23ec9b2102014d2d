import { Observable, Subject, type Subscription } from 'rxjs';

/** Streams merged into one while it runs, each under a key, added and removed at any time. */
export interface KeyedMerge<T> {
  /** Every stream's values; completes when every stream has completed (a removed one counts as done). */
  readonly output$: Observable<T>;
  /** Starts `stream$` under `key` (stopping the one there was). */
  add(key: string, stream$: Observable<T>): void;
  /** Stops the stream under `key`: unsubscribed, so what it would emit later is not taken; what it emitted stays. */
  remove(key: string): void;
  /** The keys of the streams that run (or will, once subscribed). */
  keys(): string[];
}

type Change<T> = { readonly type: 'add'; readonly key: string; readonly stream$: Observable<T> } | { readonly type: 'remove'; readonly key: string };

/**
 * `merge` over a set that changes while it runs: the cameras of a line, which a reload adds and removes without
 * touching the others (service/camera-frames.ts). One subscriber at a time is what it is for; a stream's error is the
 * output's error, as with `merge`.
 */
export function keyedMerge<T>(initial: Iterable<readonly [string, Observable<T>]>): KeyedMerge<T> {
  const streams = new Map(initial);
  const changes = new Subject<Change<T>>();
  const output$ = new Observable<T>((subscriber) => {
    const running = new Map<string, Subscription>();
    let starting = true;
    const doneIfEmpty = () => {
      if (!starting && running.size === 0) subscriber.complete();
    };
    const start = (key: string, stream$: Observable<T>) => {
      running.get(key)?.unsubscribe();
      running.delete(key);
      let sub: Subscription | undefined;
      let ended = false;
      sub = stream$.subscribe({
        next: (value) => subscriber.next(value),
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          ended = true;
          // `sub` is unset when the stream completes while it is being subscribed to
          if (sub !== undefined && running.get(key) === sub) running.delete(key);
          doneIfEmpty();
        },
      });
      if (!ended) running.set(key, sub);
    };
    for (const [key, stream$] of streams) start(key, stream$);
    starting = false;
    const changed = changes.subscribe((change) => {
      if (change.type === 'add') return start(change.key, change.stream$);
      running.get(change.key)?.unsubscribe();
      running.delete(change.key);
      doneIfEmpty();
    });
    doneIfEmpty();
    return () => {
      changed.unsubscribe();
      for (const sub of running.values()) sub.unsubscribe();
      running.clear();
    };
  });
  return {
    output$,
    add: (key, stream$) => {
      streams.set(key, stream$);
      changes.next({ type: 'add', key, stream$ });
    },
    remove: (key) => {
      streams.delete(key);
      changes.next({ type: 'remove', key });
    },
    keys: () => [...streams.keys()],
  };
}
