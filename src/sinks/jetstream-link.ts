/**
 * The verdicts' path into a NATS JetStream backbone (docs/fleet.md): the offline queue (outbox/) hands each verdict
 * and reject to `publishAsync`, which publishes it with the NATS protocol to the subject its MQTT topic maps to
 * (subjects.ts) and resolves only on the stream's acknowledgement: the message is stored on a quorum of the stream's
 * replicas. Measured on nats-server 2.9 (docs/fleet.md): an MQTT QoS 1 PUBACK says only that the node took the
 * message, and while the stream's leader is re-elected after a node dies those messages are dropped; a JetStream
 * acknowledgement is not given for them, so the queue keeps and resends them.
 *
 * - Each message carries a `Nats-Msg-Id` (a hash of topic and payload): a resend within the stream's duplicate
 *   window is stored once. Later duplicates (a long outage) are left to the consumers' dedup by verdict id.
 * - MQTT subscribers of the topic (the dashboard, an actuator on the backbone) get the message too: nats-server
 *   delivers a subject's messages to the MQTT subscriptions of the matching topic.
 * - The client fails over between the `urls` by itself (nats.js). `onConnection(true)` on every (re)connect, and
 *   again a second after a publish failed while connected (no stream leader yet): the queue then resends what
 *   failed; `onConnection(false)` when the connection drops.
 * - No publish acknowledged for a stream that does not exist (`no responders`) is JETSTREAM_PUBLISH on the status
 *   until one is.
 */
import { createHash } from 'node:crypto';
import { connect, type JetStreamClient, type NatsConnection } from 'nats';
import { uniadError } from '../errors.js';
import type { Logger } from '../types.js';
import type { StatusCauses } from './status-causes.js';
import { natsSubject } from './subjects.js';

/** What the link takes of the `jetstream` config section. */
export interface JetStreamSettings {
  /** `nats://host:port` of the cluster's nodes. */
  readonly urls: readonly string[];
  readonly username?: string;
  readonly password?: string;
  /** How long a publish waits for the stream's acknowledgement. */
  readonly ackTimeoutMs: number;
}

export interface JetStreamLinkOptions {
  readonly settings: JetStreamSettings;
  /** Shown to the servers (`connz`): the node's name. */
  readonly name: string;
  readonly logger: Logger;
  readonly causes: StatusCauses;
  /** Wait after a failed publish before the queue resends. Default 1000 ms. */
  readonly retryMs?: number;
}

/** Stable per message: the same stored message always gets the same id, whichever node it is sent to. */
export const messageId = (topic: string, payload: string): string => createHash('sha256').update(topic).update('\n').update(payload).digest('base64url').slice(0, 32);

export class JetStreamLink {
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private closed = false;
  private up = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly listeners: ((connected: boolean) => void)[] = [];
  private readonly connecting: Promise<void>;

  constructor(private readonly opts: JetStreamLinkOptions) {
    const { settings, logger } = opts;
    this.connecting = connect({
      servers: [...settings.urls],
      user: settings.username,
      pass: settings.password,
      name: `uniad-edge-${opts.name}`,
      // the queue owns redelivery: reconnect for ever, and let a cluster that is down at start not stop the service
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
      waitOnFirstConnect: true,
    }).then(
      (nc) => this.onConnect(nc),
      (err: Error) => logger.error('jetstream: cannot connect', { urls: settings.urls, error: err.message }),
    );
  }

  /** Connected to a node of the cluster now. */
  get connected(): boolean {
    return this.up;
  }

  onConnection(listener: (connected: boolean) => void): void {
    this.listeners.push(listener);
    if (this.up) listener(true);
  }

  /** Publishes and resolves once the stream stored it (JetStream acknowledgement). */
  async publishAsync(topic: string, payload: string): Promise<void> {
    const js = this.js;
    if (js === undefined) throw new Error('jetstream: not connected');
    const subject = natsSubject(topic);
    try {
      await js.publish(subject, payload, { msgID: messageId(topic, payload), timeout: this.opts.settings.ackTimeoutMs });
      this.opts.causes.clear('JETSTREAM_PUBLISH');
    } catch (err) {
      // 503: nothing listens on the subject (no stream captures it, or its leader is being elected)
      if ((err as Error & { code?: string }).code === '503') this.opts.causes.set(uniadError('JETSTREAM_PUBLISH', subject, 'no stream acknowledged it (no responders)'));
      this.scheduleRetry();
      throw err;
    }
  }

  /** Ends the connection; what was not acknowledged stays in the queue. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.connecting;
    await this.nc?.close().catch(() => undefined);
  }

  private onConnect(nc: NatsConnection): void {
    const { logger } = this.opts;
    if (this.closed) {
      void nc.close();
      return;
    }
    this.nc = nc;
    this.js = nc.jetstream();
    logger.info('jetstream: connected', { server: nc.getServer() });
    this.emit(true);
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') {
          logger.warn('jetstream: connection lost, queueing verdicts', { server: String(s.data) });
          this.emit(false);
        } else if (s.type === 'reconnect') {
          logger.info('jetstream: connected', { server: String(s.data) });
          this.emit(true);
        }
      }
    })();
  }

  /** A publish failed while connected (a stream electing its leader): the queue resends after `retryMs`. */
  private scheduleRetry(): void {
    if (this.retryTimer !== undefined || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.up) this.emit(true);
    }, this.opts.retryMs ?? 1000);
    this.retryTimer.unref();
  }

  private emit(connected: boolean): void {
    this.up = connected;
    for (const l of this.listeners) l(connected);
  }
}
