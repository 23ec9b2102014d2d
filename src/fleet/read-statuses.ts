/**
 * The retained statuses of every node under a prefix, read once from the backbone: connect (failing over between
 * the nodes' URLs), subscribe to `<prefix>/status/+`, keep what arrives until `quietMs` passed without a message (the
 * retained ones come at once) or `timeoutMs` in all.
 */
import mqtt from 'mqtt';
import { uniadError } from '../errors.js';
import { parseBrokerUrls } from '../sinks/broker-url.js';
import { statusFilter } from '../sinks/topics.js';
import { FleetStatuses } from './fleet-view.js';

export interface ReadStatusesOptions {
  readonly urls: readonly string[];
  readonly prefix: string;
  readonly username?: string;
  readonly password?: string;
  readonly quietMs?: number;
  readonly timeoutMs?: number;
}

export async function readStatuses(opts: ReadStatusesOptions): Promise<FleetStatuses> {
  const addresses = parseBrokerUrls(opts.urls, '--mqtt');
  const first = addresses[0]!;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const client = mqtt.connect({
    protocol: first.protocol,
    hostname: first.hostname,
    port: first.port,
    path: first.path,
    servers: addresses.map((a) => ({ host: a.hostname, port: a.port, protocol: a.protocol })),
    protocolVersion: 4,
    username: opts.username ?? first.username,
    password: opts.password ?? first.password,
    reconnectPeriod: 500,
    connectTimeout: timeoutMs,
  });
  const statuses = new FleetStatuses();
  let last = Date.now();
  const filter = statusFilter(opts.prefix);
  client.on('message', (topic, payload) => {
    statuses.update(topic.split('/').at(-1)!, payload);
    last = Date.now();
  });
  try {
    const start = Date.now();
    // a node refuses subscriptions for a few seconds while the cluster elects leaders after a node died: ask again
    const subscribed = new Promise<void>((resolve) => {
      const attempt = () => void client.subscribeAsync(filter, { qos: 1 }).then(() => resolve(), () => setTimeout(attempt, 500).unref());
      client.on('connect', attempt);
    });
    const deadline = new Promise<never>((_, reject) => setTimeout(() => reject(uniadError('MQTT_CONNECT', addresses.map((a) => a.url).join(', '), `no subscription to ${filter} within ${timeoutMs} ms`)), timeoutMs).unref());
    await Promise.race([subscribed, deadline]);
    last = Date.now();
    const quietMs = opts.quietMs ?? 500;
    while (Date.now() - last < quietMs && Date.now() - start < timeoutMs) await new Promise((r) => setTimeout(r, 50));
    return statuses;
  } finally {
    await client.endAsync(true);
  }
}
