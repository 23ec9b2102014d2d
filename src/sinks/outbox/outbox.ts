/**
 * The offline queue in front of the MQTT client: every QoS 1 message (verdict, reject) is put into a
 * `MessageStore` first and deleted only when the broker acknowledged it (PUBACK). A pump hands stored messages to
 * the client in key order, at most `window` unacknowledged at a time, and only while connected.
 *
 * Why not MQTT.js's own offline queue: it is in memory and unbounded, so a long broker outage grows the process and
 * a restart loses it. Here the client only ever holds the `window` messages in flight. When the connection drops
 * the sink takes those back from the client (their sends fail), and the pump resends them itself after the
 * reconnect, before anything newer, so order holds. A message is at least once at the broker; a subscriber
 * deduplicates on the verdict `id` (contract).
 *
 * A message the broker will never accept must not block the ones behind it:
 * - a message `unsendable` names (a topic MQTT forbids, from a queue an older config wrote) is set aside unsent;
 * - a send that fails with a refusal (`refusal(err)` names it: an MQTT 5 PUBACK reason code) is set aside at once;
 * - MQTT 3.1.1 has no way to refuse a publish: brokers close the connection instead (mosquitto for a packet over
 *   `max_packet_size`, an ACL that disconnects). After a drop with messages in flight the pump sends ONE message at
 *   a time until each of those was acknowledged or set aside; a message that was alone in flight at
 *   `strikesToSetAside` drops in a row is set aside.
 * Set aside = deleted from the store and handed to `setAside` (the sink writes it to the dead-letter file).
 */
import type { Logger } from '../../types.js';
import type { MessageStore, StoredMessage } from './store.js';

/** Publishes one message and resolves when the broker acknowledged it. */
export type Send = (topic: string, payload: string) => Promise<void>;

export interface OutboxOptions {
  /** Messages in flight (sent, not acknowledged) at most. Default 64. */
  readonly window?: number;
  /** Why a failed send is a refusal that retrying cannot fix, or undefined for a failure that may heal. */
  readonly refusal?: (err: Error) => string | undefined;
  /** Why a message must not even be sent (a topic MQTT forbids), or undefined. */
  readonly unsendable?: (message: StoredMessage) => string | undefined;
  /** A message the broker refuses, removed from the queue. */
  readonly setAside?: (message: StoredMessage, reason: string) => void;
  /** Drops while a message was alone in flight before it is set aside. Default 2. */
  readonly strikesToSetAside?: number;
}

export class Outbox {
  private online = false;
  /** Next key the pump has not handed to the client yet. */
  private cursor = 0;
  /** Lowest key whose send failed for a reason that may heal: resent from there after the next connect. */
  private rewindTo = Infinity;
  private readonly inflight = new Set<number>();
  /** Messages in flight at a connection drop, not yet acknowledged or set aside: while any is left, window 1. */
  private readonly suspects = new Set<number>();
  /** Drops while the key was alone in flight. */
  private readonly strikes = new Map<number, number>();
  private setAsideCount = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly window: number;

  constructor(
    private readonly store: MessageStore,
    private readonly send: Send,
    private readonly logger: Logger,
    private readonly options: OutboxOptions = {},
  ) {
    this.window = options.window ?? 64;
  }

  /** Messages stored and not yet acknowledged (in flight included). */
  get pending(): number {
    return this.store.size;
  }

  get dropped(): number {
    return this.store.dropped;
  }

  /** Messages the broker refused, set aside since this outbox started. */
  get setAsideTotal(): number {
    return this.setAsideCount;
  }

  enqueue(topic: string, payload: string): void {
    this.store.put(topic, payload);
    this.pump();
  }

  /** Called on connect (true) and on connection loss (false), before the sink takes the in-flight sends back. */
  setOnline(online: boolean): void {
    if (!online && this.online && this.inflight.size > 0) this.dropped_(this.inflight);
    this.online = online;
    if (!online) return;
    this.cursor = Math.min(this.cursor, this.rewindTo);
    this.rewindTo = Infinity;
    this.pump();
  }

  /** Resolves once nothing is pending (immediately if nothing is). */
  idle(): Promise<void> {
    if (this.store.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The connection dropped with `inflight` unacknowledged. */
  private dropped_(inflight: ReadonlySet<number>): void {
    const strikes = this.options.strikesToSetAside ?? 2;
    const [key] = inflight as Set<number>;
    const struck = this.strikes.get(key!) ?? 0;
    // only drops in a row with the same message alone in flight, and nothing acknowledged between, are strikes:
    // a broker that drops us at random (another client taking our client id) makes progress between drops
    this.strikes.clear();
    if (this.suspects.size > 0 && inflight.size === 1) {
      const n = struck + 1;
      this.strikes.set(key!, n);
      const m = this.store.get(key!);
      if (n >= strikes && m) {
        this.setAside(m, `the broker closed the connection each time this message was the only one in flight (${n} times): it does not accept it (its topic or size, or an ACL)`);
      }
    }
    for (const key of inflight) if (this.store.get(key)) this.suspects.add(key);
  }

  private get limit(): number {
    // a suspect the full store dropped meanwhile is no longer anyone's concern
    for (const key of this.suspects) if (!this.store.get(key)) this.forget(key);
    return this.suspects.size > 0 ? 1 : this.window;
  }

  private pump(): void {
    if (!this.online) return;
    for (const m of this.store.stream(this.cursor)) {
      if (this.inflight.size >= this.limit) return;
      this.cursor = m.key + 1;
      if (this.inflight.has(m.key)) continue;
      const unsendable = this.options.unsendable?.(m);
      if (unsendable !== undefined) {
        this.setAside(m, unsendable);
        continue;
      }
      this.inflight.add(m.key);
      this.send(m.topic, m.payload).then(
        () => this.settle(m.key, true),
        (err: Error) => {
          const refused = this.options.refusal?.(err);
          const stored = this.store.get(m.key);
          if (refused !== undefined && stored) this.setAside(stored, refused);
          else {
            // the connection dropped or the client is being ended: kept, and sent again after the next connect
            this.logger.debug('mqtt: publish not acknowledged, kept in the offline queue', { topic: m.topic, error: err.message });
            this.rewindTo = Math.min(this.rewindTo, m.key);
          }
          this.settle(m.key, false);
        },
      );
    }
  }

  private setAside(message: StoredMessage, reason: string): void {
    this.store.del(message.key);
    this.forget(message.key);
    this.setAsideCount++;
    this.options.setAside?.(message, reason);
    if (this.store.size === 0) this.wakeIdle();
  }

  private forget(key: number): void {
    this.suspects.delete(key);
    this.strikes.delete(key);
  }

  private settle(key: number, acknowledged: boolean): void {
    this.inflight.delete(key);
    if (acknowledged) {
      this.store.del(key);
      this.forget(key);
      this.strikes.clear();
    }
    if (this.store.size === 0) this.wakeIdle();
    this.pump();
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
