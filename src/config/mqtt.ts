/** `mqtt:` — the broker the service publishes to, its topics, the offline queue, and the images it sends. */
import { z } from 'zod';
import { parseBrokerUrl } from '../sinks/broker-url.js';
import { parsedBy, range, topicPrefix } from './fields.js';

/** The topic prefix when mqtt.prefix is not given. */
export const defaultPrefix = (site: string) => `uniad/${site}`;

const brokerUrl = parsedBy(z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'use mqtt://, mqtts://, ws:// or wss://'), parseBrokerUrl);

/**
 * The nodes of one clustered broker (docs/fleet.md) are tried in turn: each takes the same client, so they must agree
 * on the scheme (TLS or not, TCP or WebSocket), the WebSocket path and the login. Pure; only URLs that parsed.
 */
function clusterUrlsAgree(urls: readonly string[], ctx: z.RefinementCtx): void {
  const parsed = urls.map((u) => {
    try {
      return parseBrokerUrl(u);
    } catch {
      return undefined; // its own issue names it
    }
  });
  const first = parsed[0];
  parsed.forEach((p, i) => {
    if (i === 0 || p === undefined || first === undefined) return;
    const issue = (message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i], message });
    if (p.protocol !== first.protocol) issue(`scheme ${p.protocol}:// differs from mqtt.url[0]'s ${first.protocol}:// (the nodes of one broker cluster take the same connection: use one scheme for all)`);
    else if (p.path !== first.path) issue(`WebSocket path "${p.path}" differs from mqtt.url[0]'s "${first.path}" (use the same path on every node)`);
    if (p.username !== first.username || p.password !== first.password) issue("user name or password differs from mqtt.url[0]'s (one login for all nodes: give it once in mqtt.username and mqtt.password)");
    if (parsed.findIndex((q) => q?.url === p.url) < i) issue(`${p.url} is listed twice (list each broker node once)`);
  });
}

export const mqtt = z
  .object({
    /**
     * Absent: the embedded broker is started and used. A list: the nodes of a clustered broker, tried in turn when
     * the connection drops (docs/fleet.md). Parsed here to find a bad URL; secrets.ts takes credentials out.
     */
    url: z
      .union([brokerUrl, z.array(brokerUrl).min(1, 'list at least one broker URL, or leave mqtt.url out for the embedded broker').superRefine(clusterUrlsAgree)])
      .optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    clientId: z.string().optional(),
    ca: z.string().optional(),
    cert: z.string().optional(),
    key: z.string().optional(),
    rejectUnauthorized: z.boolean().default(true),
    prefix: topicPrefix.optional(),
    /**
     * 4 (MQTT 3.1.1, what the embedded broker speaks) or 5: with 5 a command's response topic and correlation data are
     * honoured (README, "Commands").
     */
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(4),
    /**
     * Which operator commands this node takes: all (true), none (false), or each by name. One turned off is refused
     * with the reason on its result topic. On an external broker `by` is only claimed: see docs/mqtt-acl.md.
     */
    commands: z.union([z.boolean(), z.object({ threshold: z.boolean().default(true), recipe: z.boolean().default(true), feedback: z.boolean().default(true), promote: z.boolean().default(true) }).strict()]).default(true),
    /** Verdicts and rejects wait here while the broker is unreachable, and survive a restart on disk. */
    queue: z
      .object({
        store: z.enum(['disk', 'memory']).default('disk'),
        /** Folder of the disk queue; default `queue/` in the state folder (stateDir). */
        dir: z.string().optional(),
        maxMessages: range(1, 1_000_000, ' messages', 'the queue is also held in memory (about 0.5 KB a message): a bigger one can exhaust it', true).default(100_000),
      })
      .strict()
      .default({}),
    heatmaps: z
      .object({
        enabled: z.boolean().default(true),
        /** At most one heatmap per camera per this many ms. */
        minIntervalMs: range(0, 3_600_000, ' ms', 'at most one heatmap per camera in this time').default(1000),
        /** Also publish heatmaps of frames that passed. */
        includeOk: z.boolean().default(false),
        /** A heatmap is a preview: downscaled to at most this many pixels a side (a tiled region may be megapixels); default 640. */
        maxSide: range(16, 8192, ' px', 'heatmaps larger than this a side are downscaled to it: the live topic carries previews, the archive keeps full resolution', true).optional(),
      })
      .strict()
      .default({}),
    /** Live feed for dashboards (src/images/feed.ts): `<prefix>/<line>/<camera>/feed`, a downscaled frame with its heatmap. */
    feed: z
      .object({
        enabled: z.boolean().default(true),
        /** At most this many feed images per camera a second. */
        maxFps: range(0.01, 30, ' a second', 'feed images per camera; each costs a PNG encode on the CPU').default(2),
        /** Width of the feed image in pixels (height keeps the aspect). */
        width: range(16, 1024, ' px', 'width of the feed image; larger costs CPU and bandwidth', true).default(160),
      })
      .strict()
      .default({}),
    /** Seconds between the stats fields republished on the retained status topic. */
    statsIntervalSeconds: range(0.1, 3600, ' s', 'how often the retained status carries fresh stats; the dashboard shows them').default(10),
    /** A broker that keeps the connection but acknowledges no publish this long is reconnected to (sinks/ack-watch.ts); default 15. */
    ackTimeoutSeconds: range(1, 600, ' s', 'the connection is dropped and made again when a publish waits this long for its acknowledgement', true).optional(),
  })
  .strict();
