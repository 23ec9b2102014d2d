/**
 * The MQTT offline queue's storage, behind the same tiny interface whichever backs it (after MQTT.js's `Store`):
 * `memory-store.ts` (lost on restart) and `disk-store.ts` (survives a restart). One abstract test suite
 * (test/sinks/store.suite.ts) runs against both.
 *
 * Keys are consecutive integers in put order, so iteration order is publish order. A store is bounded: a put into a
 * full store first drops the OLDEST message and counts it in `dropped` (a line would rather lose a stale verdict
 * than the newest one). Synchronous on purpose: the caller's order of put/del is the order on disk.
 */

export interface StoredMessage {
  readonly key: number;
  readonly topic: string;
  /** UTF-8 text (the verdict JSON). */
  readonly payload: string;
}

export interface MessageStore {
  /** Messages held now. */
  readonly size: number;
  /** Messages dropped because the store was full, since it was created (disk: since the queue file was made). */
  readonly dropped: number;
  /** Stores a message at the end; returns its key. Drops the oldest first when full. */
  put(topic: string, payload: string): number;
  get(key: number): StoredMessage | undefined;
  /** Removes a message; a key that is not there is ignored (it may have been dropped while in flight). */
  del(key: number): void;
  /** Messages with key ≥ `fromKey`, in key order. Stable against del() of already-yielded keys during iteration. */
  stream(fromKey?: number): IterableIterator<StoredMessage>;
  close(): Promise<void>;
}
