/**
 * Messages the broker refused, set aside so the queue behind them goes on: one JSON line each,
 * `{"at":ISO time,"topic":...,"payload":...,"reason":...}`, appended to `<dir>/dead-letter.jsonl` (the state folder's
 * `dead-letter/`). Nothing reads it back: it is for a person to look at (and, the fault fixed, replay by hand).
 * A dead letter that cannot be written (a full disk) is still counted and logged, with its verdict id.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../types.js';
import type { StoredMessage } from './store.js';

export class DeadLetters {
  readonly path: string;
  private count = 0;

  constructor(
    dir: string,
    private readonly logger: Logger,
  ) {
    this.path = join(dir, 'dead-letter.jsonl');
  }

  /** Messages set aside since the start. */
  get total(): number {
    return this.count;
  }

  put(message: Pick<StoredMessage, 'topic' | 'payload'>, reason: string, at = new Date()): void {
    this.count++;
    const fields = { topic: message.topic, reason, file: this.path, deadLetters: this.count };
    try {
      mkdirSync(join(this.path, '..'), { recursive: true });
      appendFileSync(this.path, JSON.stringify({ at: at.toISOString(), topic: message.topic, payload: message.payload, reason }) + '\n');
      this.logger.error('mqtt: the broker refused a queued message; it is set aside in the dead-letter file and the queue goes on', fields);
    } catch (err) {
      // the payload is the only record left: log it whole
      this.logger.error('mqtt: the broker refused a queued message and the dead-letter file cannot be written; the queue goes on', { ...fields, payload: message.payload, error: (err as Error).message });
    }
  }
}
