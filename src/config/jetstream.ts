/**
 * `jetstream:` — optional: verdicts and rejects go to a NATS JetStream backbone with the NATS protocol, each
 * acknowledged once a quorum of the stream's replicas stored it (docs/fleet.md); status, commands and images stay on
 * MQTT (`mqtt.url`, the same cluster's MQTT listeners).
 */
import { z } from 'zod';
import { range } from './fields.js';

const natsUrl = z.string().regex(/^(nats|tls):\/\/[^/\s]+$/, 'use nats://host:port (or tls://host:port), one per node of the cluster');

export const jetstream = z
  .object({
    /** The nodes of the cluster; the client fails over between them. */
    urls: z.array(natsUrl).min(1, 'list the NATS URLs of the cluster nodes (nats://host:4222)'),
    username: z.string().min(1).optional(),
    /** May be `credential:NAME` (systemd credentials). */
    password: z.string().optional(),
    /** How long a publish waits for the stream's acknowledgement before it is sent again. */
    ackTimeoutMs: range(100, 60_000, ' ms', "how long a verdict waits for the stream's acknowledgement before it is resent", true).default(5000),
  })
  .strict();
