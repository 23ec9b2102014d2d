/**
 * `uniad-edge rollout start`: the rollout message of a model as the store serves it, hashed from the same files, and
 * published retained on the fleet's broker, then read back: a broker whose ACL refuses the account closes the
 * connection (the embedded broker) or drops the message and acknowledges it all the same (mosquitto), so only the
 * retained message read back says the rollout is started.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import mqtt from 'mqtt';
import { uniadError } from '../errors.js';
import { loadSidecar, sidecarPathFor } from '../pipeline/sidecar.js';
import { parseRollout, rolloutTopic, type Rollout } from './message.js';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

export interface RolloutFiles {
  /** The model as it lies in the store (its sidecar beside it). */
  readonly model: string;
  /** Where the store serves the folder of both files. */
  readonly urlBase: string;
  readonly canary: string;
  readonly by: string;
  /** Default: `<version>-<time>`. */
  readonly id?: string;
  readonly now?: Date;
}

/** The rollout of `model` and its sidecar (checked, its version read), served under `urlBase`. */
export function rolloutOf(files: RolloutFiles): Rollout {
  const { version } = loadSidecar(files.model);
  const base = files.urlBase.endsWith('/') ? files.urlBase : `${files.urlBase}/`;
  const sidecar = sidecarPathFor(files.model);
  const id = files.id ?? `${version}-${(files.now ?? new Date()).toISOString()}`;
  // parsed as a node parses it: a bad URL base or canary is refused here, before anything is published
  return parseRollout(
    JSON.stringify({
      id,
      version,
      model: { url: new URL(basename(files.model), base).href, sha256: sha256(files.model) },
      sidecar: { url: new URL(basename(sidecar), base).href, sha256: sha256(sidecar) },
      canary: files.canary,
      by: files.by,
    }),
  );
}

export interface Broker {
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  readonly prefix: string;
}

/** Publishes `rollout` retained at QoS 1 and reads it back; ROLLOUT_NOT_ACCEPTED when the broker did not keep it. */
export async function publishRollout(broker: Broker, rollout: Rollout, timeoutMs = 10_000): Promise<void> {
  const topic = rolloutTopic(broker.prefix);
  const refused = (why: string) => uniadError('ROLLOUT_NOT_ACCEPTED', broker.url, topic, why);
  let client: mqtt.MqttClient;
  try {
    client = await mqtt.connectAsync(broker.url, { username: broker.username, password: broker.password, reconnectPeriod: 0, connectTimeout: timeoutMs });
  } catch (err) {
    throw refused(`cannot connect: ${(err as Error).message}`);
  }
  try {
    let timer: NodeJS.Timeout | undefined;
    const kept = new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(refused(`it did not keep the rollout as the retained message within ${timeoutMs / 1000} s`)), timeoutMs);
      client.once('close', () => reject(refused('it closed the connection (the account may not publish the rollout)')));
      client.on('message', (_topic, payload, packet) => {
        if (!packet.retain || payload.length === 0) return;
        let id: string | undefined;
        try {
          id = (JSON.parse(payload.toString()) as { id?: string }).id;
        } catch {
          id = undefined;
        }
        if (id === rollout.id) resolve();
        else reject(refused(`it keeps another rollout (${id ?? 'not JSON'}): the account may not publish the rollout`));
      });
    });
    kept.catch(() => undefined);
    await Promise.race([client.publishAsync(topic, JSON.stringify(rollout), { qos: 1, retain: true }), kept]);
    await Promise.race([client.subscribeAsync(topic, { qos: 1 }), kept]);
    await kept.finally(() => clearTimeout(timer));
  } finally {
    client.end(true);
  }
}
