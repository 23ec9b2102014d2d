/**
 * Another process with the same node and client id (the same config started twice, each with its own state
 * folder): the broker hands the connection to whichever connected last, back and forth. It shows on our own
 * retained status topic: a status of another run (another `startedAt`) seen after two different connects (one
 * could be our own previous run's last word). Then: logged, CLIENT_ID_TAKEOVER on the status, and reconnects slowed
 * to one in 10 s instead of a tight fight; cleared once a connection held for a minute.
 */
import type { MqttClient } from 'mqtt';
import { uniadError } from '../errors.js';
import type { Logger } from '../types.js';
import type { NodeInfo } from './payload.js';
import type { StatusCauses } from './status-causes.js';

export interface TwinWatchOptions {
  /** The node's own retained status topic. */
  readonly status: string;
  readonly info: NodeInfo;
  readonly causes: StatusCauses;
  readonly logger: Logger;
}

/** Watches `client` (of mqtt-link.ts) for a twin from now on. */
export function watchForTwin(client: MqttClient, { status, info, causes, logger }: TwinWatchOptions): void {
  const clientId = client.options.clientId;
  const normalPeriod = client.options.reconnectPeriod;
  let sightings = 0;
  let seenThisConnect = false;
  let held: NodeJS.Timeout | undefined;
  client.on('connect', () => {
    seenThisConnect = false;
    // QoS 0: our own retained `offline` comes back here during close(), and a PUBACK for it would be written after
    // the stream ended; seeing the retained status once is all this needs
    client.subscribeAsync(status, { qos: 0 }).catch((err: Error) => logger.debug('mqtt: could not subscribe to the own status topic', { error: err.message }));
    clearTimeout(held);
    held = setTimeout(() => {
      if (sightings === 0) return;
      sightings = 0;
      client.options.reconnectPeriod = normalPeriod;
      causes.clear('CLIENT_ID_TAKEOVER');
      logger.info('mqtt: the connection held for a minute; no other instance seen', { clientId });
    }, 60_000).unref();
  });
  client.on('close', () => clearTimeout(held));
  client.on('message', (topic, payload) => {
    if (topic !== status || seenThisConnect) return;
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
    client.options.reconnectPeriod = 10_000;
    causes.set(uniadError('CLIENT_ID_TAKEOVER', String(clientId), info.node));
  });
}
