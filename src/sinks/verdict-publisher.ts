/**
 * Publishes every verdict per the MQTT contract (docs/architecture.md) over the link (mqtt-link.ts):
 *
 * - `verdict` (QoS 1) for every decision, and `reject` (QoS 1, same JSON) for rejects. Both go through the offline
 *   queue (outbox/): stored first, deleted on PUBACK, replayed in order after an outage or a restart (disk store).
 *   A message the broker refuses is set aside (dead letters) so the queue goes on.
 * - `part` (QoS 1) for every part decision, and `part/reject` for those that reject: the same queue, so a part's
 *   decision follows its frames' verdicts, in order, and survives an outage or a restart as they do.
 * - `shadow/verdict` (QoS 1) for a candidate model's verdicts, only while connected: never acted on, so not queued.
 * - With a `transport` (jetstream-link.ts, docs/fleet.md) the queue sends verdicts and rejects over it instead of the
 *   MQTT link; shadow verdicts stay on MQTT. A JetStream failure is an explicit answer, never a closed connection,
 *   so no message is set aside for drops: it waits until the stream takes it.
 */
import type { Logger, PartVerdict, Verdict } from '../types.js';
import type { MqttLink } from './mqtt-link.js';
import type { DeadLetters } from './outbox/dead-letter.js';
import { Outbox } from './outbox/outbox.js';
import type { MessageStore, StoredMessage } from './outbox/store.js';
import { partPayload, verdictPayload } from './payload.js';
import { partRejectTopic, partTopic, rejectTopic, shadowVerdictTopic, topicPartProblem, verdictTopic } from './topics.js';

export interface VerdictPublisherOptions {
  /** The offline queue's storage; closed by close(). */
  readonly store: MessageStore;
  readonly logger: Logger;
  /** Verdict/reject messages in flight (sent, not yet acknowledged). Default 64. */
  readonly window?: number;
  /** Where messages the broker refuses are set aside; without it they are only logged (with their payload). */
  readonly deadLetters?: DeadLetters;
  /** Sends verdicts and rejects instead of the MQTT link (a JetStream link). */
  readonly transport?: VerdictTransport;
}

/** What the queue sends verdicts and rejects over: resolves on the acknowledgement; `onConnection` as MqttLink's. */
export interface VerdictTransport {
  publishAsync(topic: string, payload: string): Promise<void>;
  onConnection(listener: (connected: boolean) => void): void;
}

export interface VerdictStats {
  readonly verdicts: number;
  readonly rejects: number;
  /** Part decisions, and those that reject. */
  readonly parts: number;
  readonly partRejects: number;
  /** Verdict/reject messages stored and not yet acknowledged by the broker. */
  readonly queued: number;
  /** Verdict/reject messages dropped because the offline queue was full (oldest first). */
  readonly dropped: number;
  /** Verdict/reject messages the broker refused, set aside (dead letters) so the queue could go on. */
  readonly refused: number;
}

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

export class VerdictPublisher {
  private readonly outbox: Outbox;
  private readonly counts = { verdicts: 0, rejects: 0, parts: 0, partRejects: 0 };

  constructor(
    private readonly link: MqttLink,
    private readonly opts: VerdictPublisherOptions,
  ) {
    const { logger, deadLetters, transport } = opts;
    const send = transport ? (topic: string, payload: string) => transport.publishAsync(topic, payload) : (topic: string, payload: string) => link.publishAsync(topic, payload, { qos: 1 });
    this.outbox = new Outbox(opts.store, send, logger, {
      window: opts.window,
      ...(transport && { strikesToSetAside: Infinity }),
      refusal,
      unsendable,
      setAside: (m, reason) => {
        if (deadLetters) deadLetters.put(m, reason);
        else logger.error('mqtt: the broker refused a queued message; dropped, the queue goes on', { topic: m.topic, payload: m.payload, reason });
      },
    });
    (transport ?? link).onConnection((connected) => this.outbox.setOnline(connected));
  }

  /** Queues the verdict (and, for a reject, the reject) for delivery. Never blocks. */
  publish(v: Verdict): void {
    const json = verdictPayload(v);
    this.outbox.enqueue(verdictTopic(this.link.prefix, v.line, v.camera), json);
    this.counts.verdicts++;
    if (v.reject) {
      this.outbox.enqueue(rejectTopic(this.link.prefix, v.line, v.camera), json);
      this.counts.rejects++;
    }
  }

  /** Queues the part decision (and, for a reject, on `part/reject` too) behind the verdicts queued before it. */
  publishPart(p: PartVerdict): void {
    const json = partPayload(p);
    this.outbox.enqueue(partTopic(this.link.prefix, p.line, p.camera), json);
    this.counts.parts++;
    if (p.reject) {
      this.outbox.enqueue(partRejectTopic(this.link.prefix, p.line, p.camera), json);
      this.counts.partRejects++;
    }
  }

  /** A shadow model's verdict, QoS 1, only while connected: it is never acted on, so it is not queued. */
  publishShadow(v: Verdict): void {
    if (this.link.connected) this.link.publish(shadowVerdictTopic(this.link.prefix, v.line, v.camera), verdictPayload(v), { qos: 1 });
  }

  stats(): VerdictStats {
    return { ...this.counts, queued: this.outbox.pending, dropped: this.outbox.dropped, refused: this.outbox.setAsideTotal };
  }

  /** Resolves once every queued message was acknowledged (or set aside). */
  idle(): Promise<void> {
    return this.outbox.idle();
  }

  /** Closes the store; what is still queued stays in it for the next start (disk store). */
  close(): Promise<void> {
    return this.opts.store.close();
  }
}
