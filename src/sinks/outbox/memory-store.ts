/** The in-memory message store: bounded, ordered, lost when the process ends. See store.ts for the contract. */
import type { MessageStore, StoredMessage } from './store.js';

export class MemoryStore implements MessageStore {
  private readonly messages = new Map<number, StoredMessage>();
  /** No live key is below `low`; advanced past deleted keys so stream() and dropping the oldest stay O(1) amortised. */
  private low = 0;
  private next = 0;
  private droppedCount = 0;

  constructor(readonly max: number) {
    if (!(Number.isInteger(max) && max > 0)) throw new RangeError(`message store: max must be a positive integer, got ${max}`);
  }

  get size(): number {
    return this.messages.size;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  put(topic: string, payload: string): number {
    if (this.messages.size >= this.max) this.dropOldest();
    return this.insert({ key: this.next, topic, payload });
  }

  /** Puts a message under a known key (a disk store reloading its file); keys must come in increasing order. */
  insert(message: StoredMessage): number {
    this.messages.set(message.key, message);
    this.next = message.key + 1;
    if (this.messages.size === 1) this.low = message.key;
    return message.key;
  }

  /** Removes the oldest message, counts it as dropped and returns its key. */
  dropOldest(): number | undefined {
    const oldest = this.stream().next();
    if (oldest.done) return undefined;
    this.del(oldest.value.key);
    this.droppedCount++;
    return oldest.value.key;
  }

  /** For a store whose drop count outlives the process (disk). */
  addDropped(n: number): void {
    this.droppedCount += n;
  }

  get(key: number): StoredMessage | undefined {
    return this.messages.get(key);
  }

  del(key: number): void {
    this.messages.delete(key);
    while (this.low < this.next && !this.messages.has(this.low)) this.low++;
  }

  *stream(fromKey = 0): IterableIterator<StoredMessage> {
    for (let k = Math.max(fromKey, this.low); k < this.next; k++) {
      const m = this.messages.get(k);
      if (m) yield m;
    }
  }

  async close(): Promise<void> {
    this.messages.clear();
  }
}
