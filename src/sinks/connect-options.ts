/**
 * MQTT.js connect options from the `mqtt` config section. Side effect: reads the TLS files (so a missing file fails
 * at start with its name, not at the first reconnect).
 *
 * Protocol: MQTT 3.1.1 (`protocolVersion: 4`) unless 5 is asked for. The embedded broker (aedes) refuses MQTT 5,
 * and nothing in the contract needs 5: the heatmap's verdict id travels in the PNG either way (see image-publisher.ts).
 * We do not try 5 and fall back: a failed CONNECT looks the same as a broker that is down, and guessing would
 * change the session semantics (clean start, expiry) from one reconnect to the next.
 */
import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import { uniadError } from '../errors.js';

export type ProtocolVersion = 4 | 5;

/** Credentials and TLS of the `mqtt` config section; TLS fields are file paths. */
export interface BrokerLogin {
  readonly username?: string;
  readonly password?: string;
  readonly clientId?: string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly rejectUnauthorized: boolean;
}

export interface ConnectSettings {
  readonly mqtt: BrokerLogin;
  readonly protocolVersion: ProtocolVersion;
  /** Retained `offline` status the broker publishes if the connection dies. */
  readonly will: { readonly topic: string; readonly payload: string };
  /** Used when the config names no clientId: stable per node, so a restart takes over its own session. */
  readonly defaultClientId: string;
  readonly reconnectPeriodMs?: number;
}

function readPem(field: 'ca' | 'cert' | 'key', path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw uniadError('MQTT_TLS_FILE', field, path, (err as Error).message);
  }
}

export function connectOptions(s: ConnectSettings): IClientOptions {
  const { mqtt } = s;
  return {
    protocolVersion: s.protocolVersion,
    clientId: mqtt.clientId ?? s.defaultClientId,
    username: mqtt.username,
    password: mqtt.password,
    ca: readPem('ca', mqtt.ca),
    cert: readPem('cert', mqtt.cert),
    key: readPem('key', mqtt.key),
    rejectUnauthorized: mqtt.rejectUnauthorized,
    // the offline queue (outbox) owns redelivery of verdicts; the broker need not keep a session for us
    clean: true,
    reconnectPeriod: s.reconnectPeriodMs ?? 1000,
    // MQTT.js stops reconnecting for good after a CONNACK that refuses, even with "server unavailable" (3.1.1 return
    // code 3: the service is unavailable for now). A refusal at the first connect still ends the start (mqtt-link.ts
    // ready()); later ones are logged and tried again like a broker that is down.
    reconnectOnConnackError: true,
    connectTimeout: 10_000,
    // heatmaps are QoS 0 and only worth sending live: never let MQTT.js buffer them while offline
    queueQoSZero: false,
    will: { topic: s.will.topic, payload: Buffer.from(s.will.payload), qos: 1, retain: true },
  };
}
