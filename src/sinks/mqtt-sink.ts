/**
 * The MQTT sink: the link to the broker (mqtt-link.ts) with the verdict publisher (verdict-publisher.ts) and the image
 * publisher (image-publisher.ts) on it, built together and closed in the one order that loses nothing: images
 * first, then the verdict queue drains while connected, then the retained `offline` status and a clean disconnect,
 * then the queue's store. `publish` hands a decision to both publishers; everything else is asked of the part that
 * owns it (`sink.link.ready()`, `sink.verdicts.publishShadow(v)`, ...).
 *
 * Folder sinks/: the service's MQTT client side of the contract (docs/architecture.md, "The MQTT contract"): the
 * link, the publishers, the offline queue (outbox/), topics, payloads, the status and its causes, the figures on it.
 * It imports images/ (the live images), shared modules at src/ and nothing else: never broker/ (the server, a
 * separate program as far as the client knows), http/, evidence/, sources/, pipeline/, config.ts or the wiring.
 */
import type { Decision } from '../types.js';
import { ImagePublisher, type ImageSettings, type ImageStats } from './image-publisher.js';
import { JetStreamLink, type JetStreamSettings } from './jetstream-link.js';
import { MqttLink, type MqttLinkOptions, type MqttLinkSettings } from './mqtt-link.js';
import type { DeadLetters } from './outbox/dead-letter.js';
import { MemoryStore } from './outbox/memory-store.js';
import type { MessageStore } from './outbox/store.js';
import { VerdictPublisher, type VerdictStats } from './verdict-publisher.js';

/** What the sink takes of the `mqtt` config section. */
export type MqttSinkSettings = MqttLinkSettings & ImageSettings;

export interface MqttSinkOptions extends Omit<MqttLinkOptions, 'mqtt' | 'queue'> {
  readonly mqtt: MqttSinkSettings;
  /** Offline queue storage; the sink closes it on close(). Default: in memory, 10 000 messages. */
  readonly store?: MessageStore;
  /** Verdict/reject messages in flight (sent, not yet acknowledged). Default 64. */
  readonly window?: number;
  /** Where messages the broker refuses are set aside; without it they are only logged (with their payload). */
  readonly deadLetters?: DeadLetters;
  /** How long close() waits for each step (images, the queue draining, `offline`, the disconnect). Default 5000. */
  readonly closeTimeoutMs?: number;
  /** Verdicts and rejects go to this NATS JetStream backbone, acknowledged by the stream (docs/fleet.md). */
  readonly jetstream?: JetStreamSettings;
}

export type MqttSinkStats = VerdictStats & ImageStats;

export class MqttSink {
  readonly link: MqttLink;
  readonly verdicts: VerdictPublisher;
  readonly images: ImagePublisher;
  /** The verdicts' path when `jetstream` is configured. */
  readonly jetstream: JetStreamLink | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: MqttSinkOptions) {
    const store = opts.store ?? new MemoryStore(10_000);
    this.link = new MqttLink({ ...opts, queue: store });
    this.jetstream = opts.jetstream && new JetStreamLink({ settings: opts.jetstream, name: opts.info.node, logger: opts.logger, causes: this.link.causes });
    this.verdicts = new VerdictPublisher(this.link, { store, logger: opts.logger, window: opts.window, deadLetters: opts.deadLetters, transport: this.jetstream });
    // By default the status's times are on the wall clock and the images' rate limits on the monotonic one; a clock
    // given (a test's) drives both.
    this.images = new ImagePublisher(this.link, opts.mqtt, opts.logger, opts.now);
  }

  /** Queues the verdict (and reject) for delivery and hands the heatmap and feed image, if due, to the image worker. Never blocks. */
  publish(decision: Decision): void {
    this.verdicts.publish(decision.verdict);
    this.images.publish(decision);
  }

  stats(): MqttSinkStats {
    const { verdicts, rejects, parts, partRejects, queued, dropped, refused } = this.verdicts.stats();
    return { verdicts, rejects, parts, partRejects, ...this.images.stats(), queued, dropped, refused };
  }

  /**
   * Drains the queue (up to `closeTimeoutMs`), publishes the retained `offline` status and disconnects cleanly.
   * When the broker is unreachable it just stops: what is queued stays in the store for the next start.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const timeout = this.opts.closeTimeoutMs ?? 5000;
      await this.images.close(timeout);
      // the verdicts drain over whichever path carries them, while it is up
      if (this.jetstream?.connected) await Promise.race([this.verdicts.idle(), new Promise((r) => setTimeout(r, timeout).unref())]);
      await this.link.close(timeout, this.jetstream ? undefined : () => this.verdicts.idle());
      await this.jetstream?.close();
      this.opts.logger.info('mqtt: closed', { url: this.link.url, ...this.stats() });
      await this.verdicts.close();
    })();
    return this.closing;
  }
}
