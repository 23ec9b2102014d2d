/**
 * The reference consumer for plant systems (docs/fleet.md, "Central consumers"): one member of a consumer group that
 * reads the verdicts of every box from the JetStream stream (verdict-stream.ts). Start as many members as the load
 * needs, on any machines, with the same group: JetStream hands each verdict to one of them, and redelivers to another
 * what a member did not acknowledge in time. Dedup by verdict id (dedup.ts) makes each id handled once, whatever
 * copies the boxes' resends and the redeliveries bring.
 *
 * The NATS client fails over between the cluster's nodes by itself; a verdict whose claim or acknowledgement cannot
 * be made while the cluster elects a leader is put back (nak) and comes again.
 */
import { connect, type ConsumerMessages, type JsMsg, type NatsConnection } from 'nats';
import type { Logger } from '../types.js';
import { DedupClaims } from './dedup.js';
import { ensureGroupConsumer, ensureVerdictStream } from './verdict-stream.js';
import { askWhileSettling } from './cluster-retry.js';

/** A verdict as the boxes publish it (sinks/payload.ts); only what the consumer reads is typed. */
export interface VerdictMessage {
  readonly id: string;
  readonly camera: string;
  readonly line: string;
  readonly [field: string]: unknown;
}

export interface VerdictConsumerOptions {
  readonly servers: readonly string[];
  readonly username?: string;
  readonly password?: string;
  /** MQTT topic prefix of the boxes (`uniad/plant1`, or `uniad/+` for every site). */
  readonly prefix: string;
  readonly stream: string;
  /** The consumer group: its durable consumer's name and the dedup bucket's suffix. */
  readonly group: string;
  /** This member's name, in claims and logs. */
  readonly member: string;
  /** Create the stream when it is missing, with these replicas and age limit. */
  readonly createStream?: { readonly replicas: number; readonly maxAgeMs: number };
  /** Redelivery after this long without an acknowledgement. Default 30 s. */
  readonly ackWaitMs?: number;
  /** Handles one verdict; a rejection puts it back for a retry. */
  readonly handle: (verdict: VerdictMessage, subject: string) => Promise<void> | void;
  readonly logger: Logger;
}

export interface ConsumerStats {
  /** Messages received from the stream, copies included. */
  readonly delivered: number;
  /** Verdicts handled (each id once). */
  readonly handled: number;
  /** Copies of an id already handled, skipped. */
  readonly duplicates: number;
  /** Put back for later (claim held by another member, the bucket not answering, the handler failing). */
  readonly retried: number;
  /** Messages that were no verdict JSON, acknowledged and dropped. */
  readonly malformed: number;
}

/**
 * How long a member's dedup claim holds before another member may take it over: longer than a redelivery (a member
 * that is alive but cannot reach the bucket while the cluster elects leaders must not lose its claim; after a node
 * died, the others refused subscriptions for up to 34 s on this loaded VM), so at least a minute.
 */
export const claimLeaseMs = (ackWaitMs: number): number => Math.max(2 * ackWaitMs, 60_000);

export class VerdictConsumer {
  private readonly counts = { delivered: 0, handled: 0, duplicates: 0, retried: 0, malformed: 0 };
  /** Ids this member handled whose claim is not marked done yet (the bucket did not answer): never handled again. */
  private readonly unmarked = new Map<string, number>();
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly opts: VerdictConsumerOptions,
  ) {}

  /**
   * Connects, makes the stream (if asked), the group's consumer and dedup bucket when missing, and starts consuming.
   * Each setup step is idempotent and asked again while the cluster does not answer (several members starting at
   * once, or a leader being elected: JetStream's API times out then), for up to `setupTimeoutMs`.
   */
  static async start(opts: VerdictConsumerOptions, setupTimeoutMs = 60_000): Promise<VerdictConsumer> {
    const nc = await connect({ servers: [...opts.servers], user: opts.username, pass: opts.password, name: `uniad-consume-${opts.member}`, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
    const deadline = Date.now() + setupTimeoutMs;
    const retried = <T>(step: () => Promise<T>): Promise<T> =>
      askWhileSettling(step, deadline, (err) => opts.logger.debug('consume: the cluster did not answer a setup step; asking again', { error: err.message }));
    try {
      const ackWaitMs = opts.ackWaitMs ?? 30_000;
      const jsm = await retried(() => nc.jetstreamManager());
      const create = opts.createStream;
      if (create && (await retried(() => ensureVerdictStream(jsm, { stream: opts.stream, prefix: opts.prefix, ...create })))) {
        opts.logger.info('consume: stream created', { stream: opts.stream, prefix: opts.prefix, ...create });
      }
      await retried(() => ensureGroupConsumer(jsm, opts.stream, opts.group, opts.prefix, ackWaitMs));
      const streamInfo = await retried(() => jsm.streams.info(opts.stream));
      const kv = await retried(() => nc.jetstream().views.kv(`uniad-dedup-${opts.group}`, { replicas: streamInfo.config.num_replicas, ttl: 24 * 3600_000, history: 1 }));
      const consumer = new VerdictConsumer(nc, opts);
      await retried(() => consumer.run(new DedupClaims(kv, opts.member, claimLeaseMs(ackWaitMs))));
      return consumer;
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  stats(): ConsumerStats {
    return { ...this.counts };
  }

  /** Stops pulling, lets the message in hand finish, and disconnects. */
  async close(): Promise<void> {
    await this.messages?.close();
    await this.loop;
    await this.nc.drain().catch(() => undefined);
  }

  private async run(claims: DedupClaims): Promise<void> {
    const consumer = await this.nc.jetstream().consumers.get(this.opts.stream, this.opts.group);
    // small pulls, so that the members of a group take turns rather than one holding a large batch; pulls that expire
    // after 5 s (the client's default is 30 s), so that a pull lost with the consumer's leader is noticed (two missed
    // heartbeats, 2.5 s apart) and made again within seconds
    const messages = await consumer.consume({ max_messages: 32, expires: 5000 });
    this.messages = messages;
    this.loop = (async () => {
      for await (const m of messages) await this.take(m, claims);
    })().catch((err: Error) => this.opts.logger.error('consume: stopped reading', { error: err.message }));
  }

  private async take(m: JsMsg, claims: DedupClaims): Promise<void> {
    const { logger } = this.opts;
    this.counts.delivered++;
    let verdict: VerdictMessage;
    try {
      verdict = m.json<VerdictMessage>();
      if (typeof verdict.id !== 'string') throw new Error('no "id"');
    } catch (err) {
      this.counts.malformed++;
      logger.warn('consume: not a verdict, dropped', { subject: m.subject, error: (err as Error).message });
      m.ack();
      return;
    }
    try {
      let revision = this.unmarked.get(verdict.id);
      if (revision === undefined) {
        const claim = await claims.claim(verdict.id);
        if (claim.kind === 'done') {
          this.counts.duplicates++;
          await m.ackAck();
          return;
        }
        if (claim.kind === 'busy') {
          logger.debug('consume: claim held, put back for later', { id: verdict.id, by: claim.by, slow: claim.slow });
          this.retry(m, 1000);
          return;
        }
        if (claim.takenFrom !== undefined) logger.info('consume: claim taken over', { id: verdict.id, from: claim.takenFrom });
        await this.opts.handle(verdict, m.subject);
        this.counts.handled++;
        revision = claim.revision;
        this.unmarked.set(verdict.id, revision);
      }
      await claims.done(verdict.id, revision);
      this.unmarked.delete(verdict.id);
      await m.ackAck();
    } catch (err) {
      logger.debug('consume: put back for later', { id: verdict.id, error: (err as Error).message });
      this.retry(m, 500);
      // a pause before the next: while the cluster elects the bucket's leader every verdict in hand would fail at once
      // (11 000 put back in 20 s by two members in a fault-test run), loading the nodes that are electing
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  private retry(m: JsMsg, ms: number): void {
    this.counts.retried++;
    m.nak(ms);
  }
}
