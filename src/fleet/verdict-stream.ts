/**
 * The JetStream stream that holds the verdicts, rejects and part decisions of every box under a topic prefix, and the durable
 * consumer a group of plant systems shares (docs/fleet.md, "Central consumers"). Made here when missing, left as it
 * is when present (a plant's operators may have made them with other limits).
 *
 * Folder fleet/: the plant's side of the backbone — this stream, the reference consumer (verdict-consumer.ts) with
 * its dedup by verdict id (dedup.ts), and the fleet view from the retained statuses (fleet-view.ts). It reads the MQTT
 * contract through sinks/ (topics, subjects, payloads) and nothing else of the service.
 */
import { AckPolicy, DeliverPolicy, nanos, RetentionPolicy, StorageType, type JetStreamManager } from 'nats';
import { natsSubject } from '../sinks/subjects.js';
import { eventFilter } from '../sinks/topics.js';

export interface VerdictStreamSettings {
  /** Stream name, e.g. UNIAD_VERDICTS. */
  readonly stream: string;
  /** MQTT topic prefix of the boxes; `+` levels match every site (`uniad/+`). */
  readonly prefix: string;
  /** Replicas of the stream (1, 3 or 5; at most the cluster's nodes). */
  readonly replicas: number;
  /** How long a verdict stays in the stream. */
  readonly maxAgeMs: number;
}

/**
 * The NATS subjects of the stream: every verdict and reject under `prefix`, and every part decision and rejected part
 * (cameras with `parts`: they travel through the same offline queue, so over JetStream too, and a subject no stream
 * captures is never acknowledged).
 */
export function verdictSubjects(prefix: string): string[] {
  return [natsSubject(eventFilter(prefix, 'verdict')), natsSubject(eventFilter(prefix, 'reject')), natsSubject(eventFilter(prefix, 'part')), natsSubject(`${eventFilter(prefix, 'part')}/reject`)];
}

/** Creates the stream unless it exists; resolves to whether it was created. */
export async function ensureVerdictStream(jsm: JetStreamManager, s: VerdictStreamSettings): Promise<boolean> {
  const exists = await jsm.streams.info(s.stream).then(
    () => true,
    (err: Error & { code?: string }) => {
      if (/not found/i.test(err.message)) return false;
      throw err;
    },
  );
  if (exists) return false;
  await jsm.streams.add({
    name: s.stream,
    subjects: verdictSubjects(s.prefix),
    num_replicas: s.replicas,
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    max_age: nanos(s.maxAgeMs),
    // a box's resend after a lost acknowledgement comes within seconds; the consumers' dedup catches later ones
    duplicate_window: nanos(Math.min(s.maxAgeMs, 5 * 60_000)),
  });
  return true;
}

/**
 * The durable consumer of a group (`group`): every member pulls from it, JetStream hands each message to one of them
 * and redelivers what is not acknowledged within `ackWaitMs`. Only verdicts (rejects are the same JSON). Resolves
 * once the consumer has a leader in the cluster: measured on nats-server 2.9, a member that started pulling from a
 * consumer made a moment before (by another member starting at the same time) got nothing, ever.
 */
export async function ensureGroupConsumer(jsm: JetStreamManager, stream: string, group: string, prefix: string, ackWaitMs: number, timeoutMs = 15_000): Promise<void> {
  const info = () =>
    jsm.consumers.info(stream, group).then(
      (i) => i,
      (err: Error) => {
        if (/not found/i.test(err.message)) return undefined;
        throw err;
      },
    );
  if ((await info()) === undefined) await addGroupConsumer(jsm, stream, group, prefix, ackWaitMs);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await info();
    // a consumer of a stream with one replica has no cluster: it is ready as soon as it exists
    if (now !== undefined && (now.cluster === undefined || now.cluster.leader !== undefined)) return;
    if (Date.now() > deadline) throw new Error(`jetstream: consumer ${group} of ${stream} has no leader after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function addGroupConsumer(jsm: JetStreamManager, stream: string, group: string, prefix: string, ackWaitMs: number) {
  return jsm.consumers.add(stream, {
    durable_name: group,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(ackWaitMs),
    deliver_policy: DeliverPolicy.All,
    filter_subject: natsSubject(eventFilter(prefix, 'verdict')),
    max_ack_pending: 1000,
  });
}
