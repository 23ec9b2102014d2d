/** `mqtt:` — the broker the actuator takes decisions (and MQTT triggers) from, and where it says it is online. */
import { z } from 'zod';
import { parseBrokerUrl } from '../../sinks/broker-url.js';
import { parsedBy, topicPrefix } from '../../config/fields.js';

export const mqtt = z
  .object({
    /** The service's broker: its embedded one (default address) or the plant's. */
    url: parsedBy(z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'use mqtt://, mqtts://, ws:// or wss://'), parseBrokerUrl).default('mqtt://127.0.0.1:1883'),
    username: z.string().optional(),
    password: z.string().optional(),
    /** Fixed, so that the broker keeps this actuator's session (its subscriptions and the decisions queued for it) across restarts; default `uniad-actuator-<name>`. */
    clientId: z.string().min(1).optional(),
    ca: z.string().optional(),
    cert: z.string().optional(),
    key: z.string().optional(),
    rejectUnauthorized: z.boolean().default(true),
    /** The service's topic prefix; default `uniad/<site>` as the service's. */
    prefix: topicPrefix.optional(),
  })
  .strict();
