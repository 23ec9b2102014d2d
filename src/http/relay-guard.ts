/**
 * What the page's MQTT relay (mqtt-relay.ts) lets through from a browser to the broker, packet by packet. Pure.
 *
 * - The first packet is CONNECT (MQTT 3.1.1, no last will): it goes on with the credential the server holds for the
 *   logged-in user (or the read-only one for a page without login) and a client id of the server's making, so a
 *   browser never holds a broker password and cannot take another client's id.
 * - A `viewer` publishes nothing; an `operator` publishes only the command topics (threshold/set, recipe, feedback), with
 *   `by` set to the logged-in user. The service checks the command itself, as it checks every other.
 * - Everyone may subscribe to anything, as on the broker (docs/mqtt-acl.md).
 */
import { randomBytes } from 'node:crypto';
import type { IConnectPacket, Packet } from 'mqtt-packet';
import { parseCommandJson, parseCommandTopic } from '../operator-commands.js';
import type { DashboardRole } from './logins.js';

export interface RelayUser {
  /** Undefined: the page without login (on loopback). */
  readonly username: string | undefined;
  readonly role: DashboardRole;
}

export interface RelayCredential {
  readonly username: string;
  readonly password: string;
}

export type Guarded = { readonly ok: true; readonly packet: Packet } | { readonly ok: false; readonly why: string };

/** Packets a client sends (MQTT 3.1.1 §2.2.1); the rest come from the broker only. */
const fromClient = new Set(['publish', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'subscribe', 'unsubscribe', 'pingreq', 'disconnect']);

/** The browser's CONNECT, carrying the server's credential for `user` instead of anything the browser sent. */
export function guardConnect(packet: Packet, upstream: RelayCredential | undefined): Guarded {
  if (packet.cmd !== 'connect') return { ok: false, why: `the first packet must be CONNECT, not ${packet.cmd}` };
  if (packet.protocolVersion !== 4) return { ok: false, why: `MQTT ${packet.protocolVersion === 5 ? '5' : '3.1'} is not relayed; connect with protocolVersion 4` };
  if (packet.will !== undefined) return { ok: false, why: 'a last will is not relayed' };
  const connect: IConnectPacket = {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    keepalive: packet.keepalive ?? 60,
    clientId: `uniad-dashboard-${randomBytes(6).toString('hex')}`,
    ...(upstream ? { username: upstream.username, password: Buffer.from(upstream.password) } : {}),
  };
  return { ok: true, packet: connect };
}

/** A packet after CONNECT, checked against the user's role under the service's topic `prefix`. */
export function guardPacket(packet: Packet, user: RelayUser, prefix: string): Guarded {
  if (!fromClient.has(packet.cmd)) return { ok: false, why: `${packet.cmd} is not a packet a client sends (here or again)` };
  if (packet.cmd !== 'publish') return { ok: true, packet };
  if (user.role !== 'operator') return { ok: false, why: `a ${user.role} publishes nothing (tried ${packet.topic})` };
  if (/[+#\u0000]/.test(packet.topic) || parseCommandTopic(packet.topic, prefix) === undefined) {
    return { ok: false, why: `an operator publishes only the command topics (threshold/set, recipe, feedback) under ${prefix} (tried ${packet.topic})` };
  }
  // a payload that is no bounded JSON object goes on as it is: the service refuses it, and says why
  const doc = parseCommandJson(packet.payload);
  const by = user.username ?? '(dashboard)';
  return { ok: true, packet: doc.ok ? { ...packet, payload: Buffer.from(JSON.stringify({ ...doc.doc, by })) } : packet };
}
