/**
 * MQTT sink: publishes every decision per the MQTT contract (docs/architecture.md) and the node's status.
 *
 * - `verdict` (QoS 1) for every decision, and `reject` (QoS 1, same JSON) for rejects. Both go through the offline
 *   queue (outbox/): stored first, deleted on PUBACK, replayed in order after an outage or a restart (disk store).
 * - `heatmap` (QoS 0, PNG) for rejects (or every decision with `heatmaps.includeOk`), at most one per camera per
 *   `heatmaps.minIntervalMs`, only while connected (a stale heatmap is worth nothing; missed ones are counted).
 *   Coloured and encoded in a worker thread (renderer.ts), so it follows its verdict instead of holding it back.
 *   The verdict id travels INSIDE the PNG as a `tEXt` chunk with keyword `uniad-id` on every protocol version
 *   (read it with `readPngText` from png-text.ts; image viewers ignore it), and on MQTT 5 also as the user
 *   property `id`. Chosen over a byte header so the payload stays a PNG any tool opens.
 * - `status/<node>` (QoS 1, retained): `online` JSON on every (re)connect, or `degraded` with every cause while
 *   `causes` (status-causes.ts) holds any (and `online` again when none is left); `offline` JSON on close(), and the same `offline` as
 *   the last will, which the broker publishes when the connection dies without a DISCONNECT.
 *
 * - `feed` (QoS 0, PNG): a downscaled frame with its heatmap and the verdict JSON inside, at most `feed.maxFps` a
 *   camera, only while connected: the live picture for dashboards (feed.ts).
 *
 * Credentials never reach a log line: URLs are logged without user info, errors by message only.
 */
import type { Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { uniadError } from '../errors.js';
import type { Decision, Logger, Verdict } from '../types.js';
import { connectOptions, type BrokerLogin, type ProtocolVersion } from './connect-options.js';
import type { DeadLetters } from './outbox/dead-letter.js';
import { MemoryStore } from './outbox/memory-store.js';
import { Outbox } from './outbox/outbox.js';
import type { MessageStore, StoredMessage } from './outbox/store.js';
import { degradedPayload, offlinePayload, onlinePayload, verdictPayload, type NodeInfo, type StatusStats } from './payload.js';
import { RateLimit } from './rate-limit.js';
import { Renderer } from './renderer.js';
import type { RenderJob } from './render-worker.js';
import { parseBrokerUrl } from './broker-url.js';
import { StatusCauses } from './status-causes.js';
import { commandFilters, feedTopic, shadowVerdictTopic, heatmapTopic, rejectTopic, statusTopic, topicPartProblem, verdictTopic } from './topics.js';

/** What the sink takes of the `mqtt` config section. */
export interface MqttSinkSettings extends BrokerLogin {
  readonly url?: string;
  /** Topics start with it (MQTT contract). */
  readonly prefix: string;
  readonly heatmaps: { readonly enabled: boolean; readonly minIntervalMs: number; readonly includeOk: boolean };
  /** The live feed for dashboards (feed.ts); absent: none. */
  readonly feed?: { readonly enabled: boolean; readonly maxFps: number; readonly width: number };
}

export interface MqttSinkOptions {
  readonly mqtt: MqttSinkSettings;
  /** Broker URL; defaults to `mqtt.url`. The wiring passes the embedded broker's URL when `mqtt.url` is absent. */
  readonly url?: string;
  readonly info: NodeInfo;
  readonly logger: Logger;
  /** 4 (MQTT 3.1.1, default: what aedes speaks) or 5. See connect-options.ts for why there is no negotiation. */
  readonly protocolVersion?: ProtocolVersion;
  /** Offline queue storage; the sink closes it on close(). Default: in memory, 10 000 messages. */
  readonly store?: MessageStore;
  /** Verdict/reject messages in flight (sent, not yet acknowledged). Default 64. */
  readonly window?: number;
  /** What keeps the node from `online`; the status is republished on every change. Default: none ever. */
  readonly causes?: StatusCauses;
  /** Where messages the broker refuses are set aside; without it they are only logged (with their payload). */
  readonly deadLetters?: DeadLetters;
  /** How long close() waits for the queue to drain before giving up (what is left stays in the store). Default 5000. */
  readonly closeTimeoutMs?: number;
  readonly reconnectPeriodMs?: number;
  readonly now?: () => number;
}

export interface MqttSinkStats {
  readonly verdicts: number;
  readonly rejects: number;
  readonly heatmaps: number;
  /** Heatmaps not sent because the camera had one within `minIntervalMs`. */
  readonly heatmapsRateLimited: number;
  /** Heatmaps not sent because the broker was unreachable. */
  readonly heatmapsOffline: number;
  /** Live feed images sent (feed.ts). */
  readonly feed: number;
  /** Heatmaps and feed images not made because the image worker already had as many waiting as it takes. */
  readonly imagesBusy: number;
  /** Verdict/reject messages stored and not yet acknowledged by the broker. */
  readonly queued: number;
  /** Verdict/reject messages dropped because the offline queue was full (oldest first). */
  readonly dropped: number;
  /** Verdict/reject messages the broker refused, set aside (dead letters) so the queue could go on. */
  readonly refused: number;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** Why a failed publish is the broker's (or the client's) final no: an MQTT 5 PUBACK reason code of 0x80 or above. */
function refusal(err: Error): string | undefined {
  const code = (err as Error & { code?: unknown }).code;
  return typeof code === 'number' && code >= 0x80 ? `the broker refused it: ${err.message} (reason code ${code})` : undefined;
}

/** A topic no broker accepts (a queue written by an older, unchecked config) is set aside without sending it. */
function unsendable(m: StoredMessage): string | undefined {
  const problem = topicPartProblem(m.topic, true);
  return problem === undefined ? undefined : `its topic ${problem}`;
}

/** CONNACK refusals that retrying will not fix: 3.1.1 codes 4/5, MQTT 5 reason codes 0x86/0x87/0x8C. */
const refusedCodes = new Set([4, 5, 134, 135, 140]);

export class MqttSink {
  private readonly client: MqttClient;
  private readonly outbox: Outbox;
  private readonly store: MessageStore;
  private readonly rate: RateLimit;
  private readonly prefix: string;
  private readonly status: string;
  private readonly url: string;
  private readonly now: () => number;
  private readonly counts = { verdicts: 0, rejects: 0, heatmaps: 0, heatmapsRateLimited: 0, heatmapsOffline: 0, feed: 0, imagesBusy: 0 };
  /** Heatmaps and feed images are coloured and encoded in a worker thread, off the verdicts' path (renderer.ts). */
  private readonly images: Renderer;
  private readonly feedRate: RateLimit;
  private statusStats: StatusStats | undefined;
  private readonly firstConnect: Promise<void>;
  private closing: Promise<void> | undefined;
  private readonly causes: StatusCauses;
  /** Retained messages of the service (echoed thresholds, shadow summary): the latest of each, sent again on reconnect. */
  private readonly retained = new Map<string, string>();

  constructor(private readonly opts: MqttSinkOptions) {
    const { mqtt: cfg, info, logger } = opts;
    const url = opts.url ?? cfg.url;
    if (url === undefined) throw uniadError('MQTT_NO_URL');
    // parsed once (broker-url.ts), given to MQTT.js as options: its own URL parsing reads passwords differently
    const address = parseBrokerUrl(url);
    this.url = address.url;
    this.now = opts.now ?? Date.now;
    this.prefix = cfg.prefix;
    this.status = statusTopic(cfg.prefix, info.node);
    this.rate = new RateLimit(cfg.heatmaps.minIntervalMs, this.now);
    this.feedRate = new RateLimit(1000 / (cfg.feed?.maxFps ?? 1), this.now);
    this.store = opts.store ?? new MemoryStore(10_000);
    this.images = new Renderer(logger);
    this.causes = opts.causes ?? new StatusCauses();
    this.causes.onChange(() => {
      if (this.client.connected) this.publishStatus();
    });

    this.client = mqtt.connect({
      protocol: address.protocol,
      hostname: address.hostname,
      port: address.port,
      path: address.path,
      ...connectOptions({
        mqtt: { ...cfg, username: cfg.username ?? address.username, password: cfg.password ?? address.password },
        protocolVersion: opts.protocolVersion ?? 4,
        will: { topic: this.status, payload: offlinePayload(info, 'connection lost') },
        defaultClientId: `uniad-edge-${info.node}`,
        reconnectPeriodMs: opts.reconnectPeriodMs,
      }),
    });
    this.outbox = new Outbox(this.store, (topic, payload) => this.client.publishAsync(topic, payload, { qos: 1 }).then(() => undefined), logger, {
      window: opts.window,
      refusal,
      unsendable,
      setAside: (m, reason) => {
        if (opts.deadLetters) opts.deadLetters.put(m, reason);
        else logger.error('mqtt: the broker refused a queued message; dropped, the queue goes on', { topic: m.topic, payload: m.payload, reason });
      },
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
      logger.info('mqtt: connected', { url: this.url, queued: this.store.size });
      this.publishStatus();
      for (const [topic, payload] of this.retained) this.sendRetained(topic, payload);
      this.outbox.setOnline(true);
    });
    this.client.on('close', () => {
      this.outbox.setOnline(false);
      // take the in-flight messages back from MQTT.js: the outbox resends them itself, one at a time when needed
      for (const id of Object.keys(this.client.outgoing)) this.client.removeOutgoingMessage(Number(id));
    });
    this.client.on('offline', () => logger.warn('mqtt: broker unreachable, queueing verdicts', { url: this.url, queued: this.store.size }));
    this.watchForTwin();
  }

  /**
   * Another process with the same node and client id (the same config started twice, each with its own state
   * folder): the broker hands the connection to whichever connected last, back and forth. It shows on our own
   * retained status topic: a status of another run (another `startedAt`) seen after two different connects (one
   * could be our own previous run's last word). Then: logged, CLIENT_ID_TAKEOVER on the status, and reconnects slowed
   * to one in 10 s instead of a tight fight; cleared once a connection held for a minute.
   */
  private watchForTwin(): void {
    const { info, logger } = this.opts;
    const clientId = this.client.options.clientId;
    const normalPeriod = this.client.options.reconnectPeriod;
    let sightings = 0;
    let seenThisConnect = false;
    let held: NodeJS.Timeout | undefined;
    this.client.on('connect', () => {
      seenThisConnect = false;
      // QoS 0: our own retained `offline` comes back here during close(), and a PUBACK for it would be written after
      // the stream ended; seeing the retained status once is all this needs
      this.client.subscribeAsync(this.status, { qos: 0 }).catch((err: Error) => logger.debug('mqtt: could not subscribe to the own status topic', { error: err.message }));
      clearTimeout(held);
      held = setTimeout(() => {
        if (sightings === 0) return;
        sightings = 0;
        this.client.options.reconnectPeriod = normalPeriod;
        this.causes.clear('CLIENT_ID_TAKEOVER');
        logger.info('mqtt: the connection held for a minute; no other instance seen', { clientId });
      }, 60_000).unref();
    });
    this.client.on('close', () => clearTimeout(held));
    this.client.on('message', (topic, payload) => {
      if (topic !== this.status || seenThisConnect) return;
      let other: { startedAt?: unknown; state?: unknown };
      try {
        other = JSON.parse(payload.toString('utf8')) as typeof other;
      } catch {
        return;
      }
      if (typeof other.startedAt !== 'number' || other.startedAt === info.startedAt) return;
      seenThisConnect = true;
      if (++sightings !== 2) return;
      logger.error('mqtt: another instance connects with this client id and takes the connection from this one; reconnecting only every 10 s', { clientId, node: info.node, otherStartedAt: other.startedAt });
      this.client.options.reconnectPeriod = 10_000;
      this.causes.set(uniadError('CLIENT_ID_TAKEOVER', String(clientId), info.node));
    });
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

  stats(): MqttSinkStats {
    return { ...this.counts, queued: this.outbox.pending, dropped: this.outbox.dropped, refused: this.outbox.setAsideTotal };
  }

  /** Replaces the stats fields of the retained status and republishes it when connected. */
  setStats(stats: StatusStats): void {
    this.statusStats = stats;
    if (this.client.connected) this.publishStatus();
  }

  private publishStatus(): void {
    const { info, logger } = this.opts;
    const causes = this.causes.list();
    const payload = causes.length === 0 ? onlinePayload(info, this.now(), this.statusStats) : degradedPayload(info, causes, this.now(), this.statusStats);
    const state = causes.length === 0 ? 'online' : 'degraded';
    this.client.publishAsync(this.status, payload, { qos: 1, retain: true }).catch((err: Error) => logger.warn('mqtt: could not publish status', { state, error: err.message }));
  }

  /**
   * Hands every message on the command topics (threshold/set, recipe; topics.ts `commandFilters`) to `handler`,
   * subscribed again on every connect. A retained recipe arrives at once on subscribing.
   */
  onCommands(handler: (topic: string, payload: Buffer) => void): void {
    const filters = commandFilters(this.prefix);
    const subscribe = () =>
      this.client.subscribeAsync(filters, { qos: 1 }).catch((err: Error) => this.opts.logger.error('mqtt: could not subscribe to the command topics', { filters, error: err.message }));
    this.client.on('message', (topic, payload) => handler(topic, payload));
    this.client.on('connect', () => void subscribe());
    if (this.client.connected) void subscribe();
  }

  /** A shadow model's verdict, QoS 1, only while connected: it is never acted on, so it is not queued. */
  publishShadow(v: Verdict): void {
    if (this.client.connected) this.client.publish(shadowVerdictTopic(this.prefix, v.line, v.camera), verdictPayload(v), { qos: 1 });
  }

  /** Publishes a retained QoS 1 message now if connected, and again after every reconnect (the latest per topic). */
  publishRetained(topic: string, payload: string): void {
    this.retained.set(topic, payload);
    if (this.client.connected) this.sendRetained(topic, payload);
  }

  private sendRetained(topic: string, payload: string): void {
    this.client.publishAsync(topic, payload, { qos: 1, retain: true }).catch((err: Error) => this.opts.logger.warn('mqtt: could not publish a retained message', { topic, error: err.message }));
  }

  /** Queues the verdict (and reject) for delivery and hands the heatmap and feed image, if due, to the image worker. Never blocks. */
  publish(decision: Decision): void {
    const v = decision.verdict;
    const json = verdictPayload(v);
    this.outbox.enqueue(verdictTopic(this.prefix, v.line, v.camera), json);
    this.counts.verdicts++;
    if (v.reject) {
      this.outbox.enqueue(rejectTopic(this.prefix, v.line, v.camera), json);
      this.counts.rejects++;
    }
    this.publishHeatmap(decision);
    this.publishFeed(decision);
  }

  /** Live picture for dashboards: QoS 0, only while connected, at most `feed.maxFps` a camera. */
  private publishFeed({ verdict: v, frame, inference }: Decision): void {
    const { feed } = this.opts.mqtt;
    if (!feed?.enabled || !this.client.connected || !this.feedRate.take(v.camera)) return;
    const pixels = frame.pixels.slice();
    const map = inference?.anomalyMap.slice();
    const input = { verdict: v, frame: { width: frame.width, height: frame.height, pixels }, ...(inference && map ? { inference: { anomalyMap: map, mapWidth: inference.mapWidth, mapHeight: inference.mapHeight } } : {}) };
    this.sendImage(feedTopic(this.prefix, v.line, v.camera), { kind: 'feed', input, width: feed.width }, map ? [pixels.buffer, map.buffer] : [pixels.buffer], undefined, () => this.counts.feed++);
  }

  private publishHeatmap({ verdict: v, frame, inference }: Decision): void {
    const hm = this.opts.mqtt.heatmaps;
    if (!hm.enabled || inference === undefined || (!v.reject && !hm.includeOk)) return;
    if (!this.client.connected) {
      this.counts.heatmapsOffline++;
      return;
    }
    if (!this.rate.take(v.camera)) {
      this.counts.heatmapsRateLimited++;
      return;
    }
    const pixels = frame.pixels.slice();
    const map = inference.anomalyMap.slice();
    const input = { map, mapWidth: inference.mapWidth, mapHeight: inference.mapHeight, threshold: v.threshold, frame: { width: frame.width, height: frame.height, pixels } };
    const properties = this.opts.protocolVersion === 5 ? { userProperties: { id: v.id } } : undefined;
    this.sendImage(heatmapTopic(this.prefix, v.line, v.camera), { kind: 'heatmap', id: v.id, input }, [pixels.buffer, map.buffer], properties, () => this.counts.heatmaps++, () => this.counts.heatmapsOffline++);
  }

  /** Renders an image in the worker and publishes it (QoS 0) if the broker is still connected when it is ready. */
  private sendImage(topic: string, job: RenderJob, transfer: ArrayBuffer[], properties: { userProperties: { id: string } } | undefined, sent: () => void, offline?: () => void): void {
    const png = this.images.render(job, transfer);
    if (png === undefined) {
      this.counts.imagesBusy++;
      return;
    }
    png.then(
      (bytes) => {
        if (!this.client.connected) return offline?.();
        this.client.publish(topic, bytes, { qos: 0, properties });
        sent();
      },
      (err: Error) => this.opts.logger.warn('mqtt: image not rendered', { topic, error: err.message }),
    );
  }

  /**
   * Drains the queue (up to `closeTimeoutMs`), publishes the retained `offline` status and disconnects cleanly.
   * When the broker is unreachable it just stops: what is queued stays in the store for the next start.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const { logger, info } = this.opts;
      const timeout = this.opts.closeTimeoutMs ?? 5000;
      await this.images.close(timeout);
      if (this.client.connected) {
        await Promise.race([this.outbox.idle(), delay(timeout)]);
        await Promise.race([this.client.publishAsync(this.status, offlinePayload(info, 'closed', this.now()), { qos: 1, retain: true }), delay(timeout)]).catch((err: Error) =>
          logger.warn('mqtt: could not publish offline status', { error: err.message }),
        );
      }
      // a graceful end waits for in-flight acknowledgements; if the link dies meanwhile, force it
      await Promise.race([this.client.endAsync(!this.client.connected), delay(timeout).then(() => this.client.endAsync(true))]);
      logger.info('mqtt: closed', { url: this.url, ...this.stats() });
      await this.store.close();
    })();
    return this.closing;
  }
}
