/** `dashboard:` — the service's HTTP port: the dashboard page, its login, /metrics, /healthz and /readyz. */
import { z } from 'zod';
import { brokerUser } from './embedded-broker.js';
import { port, range, shown } from './fields.js';

/** The roles that may log in to the page: the broker's `viewer` (reads) and `operator` (also sets thresholds and recipes). */
export const dashboardRoles = ['viewer', 'operator'] as const;

/** A login of the page on an external broker; the page reaches that broker with the same user name and password. */
export const dashboardUser = brokerUser.extend({ role: z.enum(dashboardRoles) });

/** An IANA time zone name Node knows (Intl), e.g. Europe/Berlin. */
const timeZone = z.string().superRefine((v, ctx) => {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: v });
  } catch {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${shown(v)} is not a time zone this box knows (write an IANA name such as Europe/Berlin or UTC; timedatectl list-timezones lists them)` });
  }
});

export const dashboard = z
  .object({
    /** false: no HTTP port at all. */
    enabled: z.boolean().default(true),
    /** false: serve only /metrics, /healthz and /readyz. */
    page: z.boolean().default(true),
    host: z.string().default('127.0.0.1'),
    port: port().default(8080),
    /**
     * `auto`: a login is asked for when `host` is not loopback (on loopback the page opens read-only, and an operator
     * logs in for the controls); `always`: also on loopback, e.g. behind a reverse proxy on the same box.
     */
    login: z.enum(['auto', 'always']).default('auto'),
    /** A login lasts this long after its last use (an open page uses it). */
    sessionHours: range(0.05, 720, ' h', 'how long a login lasts after its last use').default(12),
    /** `none`: /metrics, /healthz and /readyz open to whoever reaches the port; `basic`: HTTP Basic with a dashboard account, except from the box itself. */
    metricsAuth: z.enum(['none', 'basic']).default('none'),
    /** HTTPS: PEM certificate (chain) and key; the key may be `credential:NAME`. */
    tls: z.object({ cert: z.string().min(1, 'give the certificate file'), key: z.string().min(1, 'give the key file') }).strict().optional(),
    /** Who logs in with an external broker (mqtt.url); with the embedded broker, its `viewer` and `operator` accounts. */
    users: z.array(dashboardUser).default([]),
    /** The time zone the page shows times in (24-hour clock); default the box's. */
    timeZone: timeZone.optional(),
    /** MQTT-over-WebSocket URL the service relays the page to; default the embedded broker's. Needed with an external broker. */
    mqttWsUrl: z.string().regex(/^wss?:\/\//, 'use ws:// or wss://').optional(),
    /** Read-only (`viewer`) credential for the page without a login (on loopback) on an external broker; the embedded broker has its own. */
    username: z.string().min(1).optional(),
    password: z.string().optional(),
    /**
     * The address a person elsewhere in the plant opens this node's page at (e.g. http://box7.plant:8080/): put in the
     * node's status for the fleet view's links. Default: the address the server listens on.
     */
    publicUrl: z.string().regex(/^https?:\/\/[^/\s]+/, 'use http://host:port/ or https://host/').optional(),
    /** Width of the score chart, seconds. */
    chartSeconds: range(10, 3600, ' s', 'how much history the score chart shows', true).default(120),
  })
  .strict();
