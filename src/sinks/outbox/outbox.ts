/**
 * The offline queue in front of the MQTT client: every QoS 1 message (verdict, reject) is put into a
 * `MessageStore` first and deleted only when the broker acknowledged it (PUBACK). A pump hands stored messages to
 * the client in key order, at most `window` unacknowledged at a time, and only while connected.
 *
 * Why not MQTT.js's own offline queue: it is in memory and unbounded, so a long broker outage grows the process and
 * a restart loses it. Here the client only ever holds the `window` messages in flight; MQTT.js resends those itself
 * after a reconnect (before anything newer, so order holds), and their callbacks then delete them here.
 * A message is at least once at the broker; a subscriber deduplicates on the verdict `id` (contract).
 */
import type { Logger } from '../../types.js';
import type { MessageStore } from './store.js';

/** Publishes one message and resolves when the broker acknowledged it. */
export type Send = (topic: string, payload: string) => Promise<void>;

export class Outbox {
  private online = false;
  /** Next key the pump has not handed to the client yet. */
  private cursor = 0;
  private readonly inflight = new Set<number>();
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly store: MessageStore,
    private readonly send: Send,
    private readonly logger: Logger,
    private readonly window = 64,
  ) {}

  /** Messages stored and not yet acknowledged (in flight included). */
  get pending(): number {
    return this.store.size;
  }

  get dropped(): number {
    return this.store.dropped;
  }

  enqueue(topic: string, payload: string): void {
    this.store.put(topic, payload);
    this.pump();
  }

  /** Called on connect (true) and on connection loss (false). */
  setOnline(online: boolean): void {
    this.online = online;
    if (online) this.pump();
  }

  /** Resolves once nothing is pending (immediately if nothing is). */
  idle(): Promise<void> {
    if (this.store.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    if (!this.online) return;
    for (const m of this.store.stream(this.cursor)) {
      if (this.inflight.size >= this.window) return;
      this.cursor = m.key + 1;
      this.inflight.add(m.key);
      this.send(m.topic, m.payload).then(
        () => this.settle(m.key, true),
        (err: Error) => {
          // only a client that is being ended fails a QoS 1 publish; the message stays stored for the next start
          this.logger.debug('mqtt: publish not acknowledged, kept in the offline queue', { topic: m.topic, error: err.message });
          this.settle(m.key, false);
        },
      );
    }
  }

  private settle(key: number, acknowledged: boolean): void {
    this.inflight.delete(key);
    if (acknowledged) this.store.del(key);
    if (this.store.size === 0) this.wakeIdle();
    this.pump();
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
