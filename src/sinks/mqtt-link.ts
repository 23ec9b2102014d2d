/**
 * The service's one MQTT connection (MQTT.js): connects and reconnects, carries the last will, keeps the node's
 * status, hears the command topics and republishes the service's retained messages after every reconnect. The
 * verdict publisher (verdict-publisher.ts) and the image publisher (image-publisher.ts) publish over it.
 *
 * - `status/<node>` (QoS 1, retained): `online` JSON on every (re)connect, or `degraded` with every cause while
 *   `causes` (status-causes.ts) holds any (and `online` again when none is left), republished on a change at most
 *   twice a second (the latest state); `offline` JSON on close(), and the same `offline` as the last will, which the
 *   broker publishes when the connection dies without a DISCONNECT.
 * - Another process taking the connection with the same client id is noticed on the own status topic
 *   (twin-watch.ts).
 * - MQTT.js resends nothing after a drop: the in-flight messages are taken back from it on every close. The verdict
 *   publisher's queue resends its own, the status and the retained messages go out again on the next connect.
 * - Several URLs (the nodes of a clustered broker, docs/fleet.md): MQTT.js tries them in turn, the next one on every
 *   reconnect (round robin from the one that was lost). Everything above happens again on the node it reaches: the
 *   will is given anew with the CONNECT, the status and the retained messages are republished, the command and
 *   status subscriptions are made again, and the queue resends what the lost node had not acknowledged.
 * - A broker that keeps the connection open but acknowledges nothing for `ackTimeoutSeconds` (ack-watch.ts) is left:
 *   the link drops the connection and reconnects (to the next node, when there are several), as if it had been lost.
 *
 * Credentials never reach a log line: URLs are logged without user info, errors by message only.
 */
import type { Socket } from 'node:net';
import mqtt, { type IClientPublishOptions, type IClientSubscribeOptions, type MqttClient } from 'mqtt';
import { uniadError } from '../errors.js';
import type { Logger } from '../types.js';
import { AckWatch } from './ack-watch.js';
import { addressOptions, parseBrokerUrls, type BrokerAddress, type BrokerUrls } from './broker-url.js';
import { connectOptions, type BrokerLogin, type ProtocolVersion } from './connect-options.js';
import { degradedPayload, offlinePayload, onlinePayload, type NodeInfo, type StatusStats } from './payload.js';
import { StatusCauses } from './status-causes.js';
import { commandFilters, statusFilter, statusTopic } from './topics.js';
import { watchForTwin } from './twin-watch.js';

/** What the link takes of the `mqtt` config section. */
export interface MqttLinkSettings extends BrokerLogin {
  /** One broker, or the nodes of a clustered one (tried in turn). */
  readonly url?: BrokerUrls;
  /** Topics start with it (MQTT contract). */
  readonly prefix: string;
  /** A connection with an acknowledgement owed this long is dropped and made again. Default 15. */
  readonly ackTimeoutSeconds?: number;
}

export interface MqttLinkOptions {
  readonly mqtt: MqttLinkSettings;
  /** Broker URL; defaults to `mqtt.url`. The wiring passes the embedded broker's URL when `mqtt.url` is absent. */
  readonly url?: string;
  readonly info: NodeInfo;
  readonly logger: Logger;
  /** 4 (MQTT 3.1.1, default: what aedes speaks) or 5. See connect-options.ts for why there is no negotiation. */
  readonly protocolVersion?: ProtocolVersion;
  /** What keeps the node from `online`; the status is republished on every change. Default: none ever. */
  readonly causes?: StatusCauses;
  /** The verdicts' offline queue, only for what the connect and outage log lines say of it. */
  readonly queue?: { readonly size: number };
  readonly reconnectPeriodMs?: number;
  readonly now?: () => number;
}

/** A message on a command topic, as the broker delivered it. */
export interface CommandMessage {
  readonly topic: string;
  readonly payload: Buffer;
  /** The broker delivered it as a retained message (replayed on subscribing; on MQTT 5 also one published retained). */
  readonly retained: boolean;
  /** MQTT 5: where the sender wants the answer, and what to give back with it. */
  readonly responseTopic?: string;
  readonly correlationData?: Buffer;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** At most one status publish in this time (statusSoon). */
const statusMinIntervalMs = 500;

/** CONNACK refusals that retrying will not fix: 3.1.1 codes 4/5, MQTT 5 reason codes 0x86/0x87/0x8C. */
const refusedCodes = new Set([4, 5, 134, 135, 140]);

export class MqttLink {
  /** Topics start with it (MQTT contract). */
  readonly prefix: string;
  /** The broker's URL (the nodes' URLs, comma-separated) without user info, as log lines and errors name it. */
  readonly url: string;
  readonly protocolVersion: ProtocolVersion;
  private readonly client: MqttClient;
  private readonly status: string;
  private readonly now: () => number;
  private statusStats: StatusStats | undefined;
  /** What the status says of the node: the cameras and the model change with a reload. */
  private info: NodeInfo;
  private readonly firstConnect: Promise<void>;
  /** What keeps the node from `online` (the status lists them). */
  readonly causes: StatusCauses;
  /** Retained messages of the service (echoed thresholds, shadow summary): the latest of each, sent again on reconnect. */
  private readonly retained = new Map<string, string>();
  private readonly connectionListeners: ((connected: boolean) => void)[] = [];
  private readonly acks = new AckWatch();
  private lastStatusAt = -Infinity;
  private statusTimer: NodeJS.Timeout | undefined;
  private readonly ackCheck: NodeJS.Timeout;

  constructor(private readonly opts: MqttLinkOptions) {
    const { mqtt: cfg, info, logger } = opts;
    this.info = info;
    const url = opts.url ?? cfg.url;
    if (url === undefined) throw uniadError('MQTT_NO_URL');
    // parsed once (broker-url.ts), given to MQTT.js as options: its own URL parsing reads passwords differently
    const addresses = parseBrokerUrls(url);
    const address = addresses[0]!;
    this.url = addresses.map((a) => a.url).join(', ');
    this.now = opts.now ?? Date.now;
    this.prefix = cfg.prefix;
    this.protocolVersion = opts.protocolVersion ?? 4;
    this.status = statusTopic(cfg.prefix, info.node);
    this.causes = opts.causes ?? new StatusCauses();
    this.causes.onChange(() => {
      this.statusSoon();
    });

    this.client = mqtt.connect({
      ...addressOptions(address),
      ...(addresses.length > 1 && { servers: addresses.map((a) => ({ host: a.hostname, port: a.port, protocol: a.protocol })) }),
      ...connectOptions({
        mqtt: { ...cfg, username: cfg.username ?? address.username, password: cfg.password ?? address.password },
        protocolVersion: this.protocolVersion,
        will: { topic: this.status, payload: offlinePayload(info, 'connection lost') },
        defaultClientId: `uniad-edge-${info.node}`,
        reconnectPeriodMs: opts.reconnectPeriodMs,
      }),
    });

    this.firstConnect = new Promise((resolve, reject) => {
      this.client.once('connect', () => resolve());
      this.client.on('error', (err) => {
        const code = (err as Error & { code?: number }).code;
        logger.error('mqtt: error', { url: this.url, error: err.message, code });
        if (code !== undefined && refusedCodes.has(code)) reject(uniadError('MQTT_CONNECT', this.url, `the broker refused the connection (${err.message})`));
      });
    });
    this.firstConnect.catch(() => undefined); // observed by ready(); a refused start must not be an unhandled rejection
    this.client.on('connect', () => {
      // Nagle's algorithm would hold a verdict back until the broker acknowledged the one before (up to the 40 ms of
      // a delayed ACK on Linux): a QoS 1 stream of small messages is its worst case. TCP and TLS sockets have the switch.
      (this.client.stream as Partial<Pick<Socket, 'setNoDelay'>>).setNoDelay?.(true);
      this.acks.connected();
      logger.info('mqtt: connected', { url: this.nodeUrl(addresses), queued: opts.queue?.size });
      this.publishStatus();
      for (const [topic, payload] of this.retained) this.sendRetained(topic, payload);
      for (const listener of this.connectionListeners) listener(true);
    });
    this.client.on('close', () => {
      for (const listener of this.connectionListeners) listener(false);
      // take the in-flight messages back from MQTT.js: the outbox resends them itself, one at a time when needed
      for (const id of Object.keys(this.client.outgoing)) this.client.removeOutgoingMessage(Number(id));
    });
    this.client.on('offline', () => logger.warn('mqtt: broker unreachable, queueing verdicts', { url: this.url, queued: opts.queue?.size }));
    watchForTwin(this.client, { status: this.status, info, causes: this.causes, logger });
    const ackTimeoutMs = (cfg.ackTimeoutSeconds ?? 15) * 1000;
    this.ackCheck = setInterval(() => {
      const overdueMs = this.acks.overdueMs();
      if (overdueMs < ackTimeoutMs || !this.client.connected) return;
      logger.warn('mqtt: the broker acknowledged nothing in time; reconnecting', { url: this.nodeUrl(addresses), overdueMs: Math.round(overdueMs), owed: this.acks.owed });
      // as a lost connection: 'close' takes the in-flight messages back, the queue resends them after the reconnect
      this.client.stream.destroy();
    }, Math.min(1000, ackTimeoutMs / 4)).unref();
  }

  /** Every publish at QoS 1 goes through here, so that the ack watch sees it. */
  private send(topic: string, payload: string | Buffer, options: IClientPublishOptions): Promise<void> {
    if (!options.qos) return this.client.publishAsync(topic, payload, options).then(() => undefined);
    const token = this.acks.sent();
    return this.client.publishAsync(topic, payload, options).then(
      () => this.acks.settled(token),
      (err: unknown) => {
        this.acks.settled(token);
        throw err;
      },
    );
  }

  /** The URL of the node connected to now (or tried last): MQTT.js sets host and port for each attempt. */
  private nodeUrl(addresses: readonly BrokerAddress[]): string {
    const { host, port } = this.client.options;
    return addresses.find((a) => a.hostname === host && a.port === port)?.url ?? addresses[0]!.url;
  }

  /** Resolves on the first successful connection; rejects if the broker refuses us or `timeoutMs` passes first. */
  ready(timeoutMs = 10_000): Promise<void> {
    return Promise.race([
      this.firstConnect,
      delay(timeoutMs).then(() => {
        throw uniadError('MQTT_CONNECT', this.url, `no connection within ${timeoutMs} ms`);
      }),
    ]);
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /**
   * `listener(true)` on every (re)connect, after the status and the retained messages went out; `listener(false)`
   * when the connection closes, before MQTT.js's in-flight messages are taken back.
   */
  onConnection(listener: (connected: boolean) => void): void {
    this.connectionListeners.push(listener);
  }

  /** Publishes now; resolves when the broker acknowledged it (QoS 1) or it was written (QoS 0). */
  publishAsync(topic: string, payload: string | Buffer, options: IClientPublishOptions): Promise<void> {
    return this.send(topic, payload, options);
  }

  /** Publishes now, nobody waiting for the outcome. */
  publish(topic: string, payload: string | Buffer, options: IClientPublishOptions): void {
    this.send(topic, payload, options).catch(() => undefined);
  }

  /** Replaces the stats fields of the retained status and republishes it when connected. */
  setStats(stats: StatusStats): void {
    this.statusStats = stats;
    this.statusSoon();
  }

  /** The cameras (and their lines) or the model a reload changed: the status says so from now on. */
  setInfo(changed: Partial<Pick<NodeInfo, 'cameras' | 'lines' | 'model'>>): void {
    this.info = { ...this.info, ...changed };
    this.statusSoon();
  }

  /** Names this node's dashboard page in its status from now on (known once the HTTP server listens). */
  setDashboardUrl(url: string): void {
    this.info = { ...this.info, dashboardUrl: url };
    this.statusSoon();
  }

  /**
   * Hands every node's retained status under the prefix (this one's too) to `handler` with the node's name, as it
   * is now and on every change: what a fleet view is made of. Subscribed again on every connect.
   */
  onStatuses(handler: (node: string, payload: Buffer) => void): void {
    const filter = statusFilter(this.prefix);
    const levels = filter.split('/').length;
    this.client.on('message', (topic, payload) => {
      const parts = topic.split('/');
      if (parts.length === levels && topic.startsWith(filter.slice(0, -1))) handler(parts.at(-1)!, payload);
    });
    this.keepSubscribed(filter, { qos: 0 }, 'the statuses');
  }

  /**
   * Subscribes to `filters` on every connect and, while connected, asks again every second when the broker refuses
   * (SUBACK 0x80): a nats-server node does so for seconds after another node of its cluster died (docs/fleet.md).
   */
  private keepSubscribed(filters: string | string[], options: IClientSubscribeOptions, what: string): void {
    const subscribe = (): void => {
      this.client.subscribeAsync(filters, options).catch((err: Error) => {
        if (!this.client.connected) return; // the next connect subscribes again
        this.opts.logger.warn(`mqtt: could not subscribe to ${what}; asking again in 1 s`, { filters, error: err.message });
        setTimeout(() => this.client.connected && subscribe(), 1000).unref();
      });
    };
    this.client.on('connect', subscribe);
    if (this.client.connected) subscribe();
  }

  /**
   * Republishes the status, at most one every `statusMinIntervalMs`: a change within it goes out when it has passed,
   * as the latest state. Causes can flap many times a second (a verdict stored, the next refused while a stream
   * elects its leader), and every retained status costs a clustered broker a replicated write.
   */
  private statusSoon(): void {
    if (!this.client.connected || this.statusTimer !== undefined) return;
    const wait = this.lastStatusAt + statusMinIntervalMs - performance.now();
    if (wait <= 0) return this.publishStatus();
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      if (this.client.connected) this.publishStatus();
    }, wait).unref();
  }

  private publishStatus(): void {
    this.lastStatusAt = performance.now();
    const { logger } = this.opts;
    const { info } = this;
    const causes = this.causes.list();
    const payload = causes.length === 0 ? onlinePayload(info, this.now(), this.statusStats) : degradedPayload(info, causes, this.now(), this.statusStats);
    const state = causes.length === 0 ? 'online' : 'degraded';
    this.send(this.status, payload, { qos: 1, retain: true }).catch((err: Error) => logger.warn('mqtt: could not publish status', { state, error: err.message }));
  }

  /**
   * Hands every message on the command topics (operator-commands.ts; topics.ts `commandFilters`) to `handler`,
   * subscribed again on every connect and until the broker takes it. A retained message arrives at once on
   * subscribing, marked `retained`; on MQTT 5 the subscription keeps the retain flag as published (Retain As
   * Published), and the request's response topic and correlation data come along.
   */
  onCommands(handler: (message: CommandMessage) => void): void {
    // No message may end the service: a handler that throws is a refused command, logged, and the next one is heard.
    this.client.on('message', (topic, payload, packet) => {
      try {
        const { responseTopic, correlationData } = packet.properties ?? {};
        handler({ topic, payload, retained: packet.retain, ...(responseTopic === undefined ? {} : { responseTopic }), ...(correlationData === undefined ? {} : { correlationData }) });
      } catch (err) {
        this.opts.logger.error('mqtt: a command could not be handled; it is refused', { topic, bytes: payload.length, error: (err as Error).message });
      }
    });
    this.keepSubscribed(commandFilters(this.prefix), this.protocolVersion === 5 ? { qos: 1, rap: true } : { qos: 1 }, 'the command topics');
  }

  /**
   * The answer to a command (QoS 1, not retained: it answers one request), with the request's correlation data on
   * MQTT 5. While disconnected it is not sent: the sender's request did not arrive either, or will again.
   */
  publishResult(topic: string, payload: string, correlationData?: Buffer): void {
    if (!this.client.connected) return;
    const properties = this.protocolVersion === 5 && correlationData !== undefined ? { properties: { correlationData } } : {};
    this.send(topic, payload, { qos: 1, retain: false, ...properties }).catch((err: Error) => this.opts.logger.warn('mqtt: could not publish a command result', { topic, error: err.message }));
  }

  /** Deletes the broker's retained message on `topic` (an empty retained message, MQTT 3.1.1 §3.3.1.3). */
  clearRetained(topic: string): void {
    this.retained.delete(topic);
    if (this.client.connected) this.sendRetained(topic, '');
  }

  /**
   * Hands every message on `topics` (exact topic names, no wildcards; e.g. the part trigger topics) to `handler`, with
   * its retain flag, subscribed at QoS 1 again on every connect and until the broker takes it. `what` names them in a
   * log line when the subscription fails.
   */
  onMessages(topics: readonly string[], what: string, handler: (topic: string, payload: Buffer, retained: boolean) => void): void {
    const wanted = new Set(topics);
    this.client.on('message', (topic, payload, packet) => {
      if (!wanted.has(topic)) return;
      try {
        handler(topic, payload, packet.retain);
      } catch (err) {
        this.opts.logger.error(`mqtt: a message on the ${what} could not be handled`, { topic, bytes: payload.length, error: (err as Error).message });
      }
    });
    this.keepSubscribed([...wanted], { qos: 1 }, `the ${what}`);
  }

  /**
   * Hands every message matching `filter` (a wildcard subscription) that `accepts` takes to `handler`, with its retain
   * flag, subscribed at QoS 1 again on every connect and until the broker takes it (e.g. the fleet rollout and its
   * statuses).
   */
  onFilter(filter: string, accepts: (topic: string) => boolean, what: string, handler: (topic: string, payload: Buffer, retained: boolean) => void): void {
    this.client.on('message', (topic, payload, packet) => {
      if (!accepts(topic)) return;
      try {
        handler(topic, payload, packet.retain);
      } catch (err) {
        this.opts.logger.error(`mqtt: a message on the ${what} could not be handled`, { topic, bytes: payload.length, error: (err as Error).message });
      }
    });
    this.keepSubscribed(filter, { qos: 1 }, `the ${what}`);
  }

  /** Publishes a retained QoS 1 message now if connected, and again after every reconnect (the latest per topic). */
  publishRetained(topic: string, payload: string): void {
    this.retained.set(topic, payload);
    if (this.client.connected) this.sendRetained(topic, payload);
  }

  private sendRetained(topic: string, payload: string): void {
    this.send(topic, payload, { qos: 1, retain: true }).catch((err: Error) => this.opts.logger.warn('mqtt: could not publish a retained message', { topic, error: err.message }));
  }

  /**
   * While connected: `settle` (the verdict queue drains there), then the retained `offline` status, each for up to
   * `timeoutMs`; then a clean disconnect. When the broker is unreachable it just ends.
   */
  async close(timeoutMs: number, settle: () => Promise<void> = async () => undefined): Promise<void> {
    const { logger } = this.opts;
    const { info } = this;
    clearInterval(this.ackCheck);
    clearTimeout(this.statusTimer);
    if (this.client.connected) {
      await Promise.race([settle(), delay(timeoutMs)]);
      await Promise.race([this.client.publishAsync(this.status, offlinePayload(info, 'closed', this.now()), { qos: 1, retain: true }), delay(timeoutMs)]).catch((err: Error) =>
        logger.warn('mqtt: could not publish offline status', { error: err.message }),
      );
    }
    // a graceful end waits for in-flight acknowledgements; if the link dies meanwhile, force it
    await Promise.race([this.client.endAsync(!this.client.connected), delay(timeoutMs).then(() => this.client.endAsync(true))]);
  }
}
