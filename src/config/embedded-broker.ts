/** `embeddedBroker:` — the MQTT broker the service starts itself when mqtt.url is absent, and its accounts. */
import { z } from 'zod';
import { roleNames } from '../types.js';
import { port } from './fields.js';

export const brokerUser = z
  .object({
    username: z.string().min(1, 'give a user name'),
    password: z.string().min(1, 'give a password'),
    role: z.enum(roleNames),
  })
  .strict();

export const embeddedBroker = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: port().default(1883),
    /** 9001, as mosquitto's WebSocket listeners usually have it; 8883 is MQTT over TLS the world over. */
    wsPort: port().default(9001),
    /** Shorthand for one user with role `service`: what the service connects with. */
    username: z.string().min(1).optional(),
    password: z.string().optional(),
    /** Accounts with a role (service, operator, viewer, actuator, plc, fleet-admin); see src/broker/acl.ts for what each may publish. */
    users: z.array(brokerUser).default([]),
    /** Let clients without a user name in, read-only. Default: yes when no user is configured, else no. */
    allowAnonymous: z.boolean().optional(),
  })
  .strict();
