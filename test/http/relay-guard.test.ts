import type { IConnectPacket, IPublishPacket, Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { guardConnect, guardPacket } from '../../src/http/relay-guard.js';

const connect = (over: Partial<IConnectPacket> = {}): IConnectPacket => ({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId: 'uniad-edge-edge1', ...over });
const publish = (topic: string, payload: string): IPublishPacket => ({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, dup: false, retain: false, messageId: 7 });
const prefix = 'uniad/site';
const operator = { username: 'op', role: 'operator' } as const;
const viewer = { username: 'view', role: 'viewer' } as const;

describe('relay guard', () => {
  it("should send the server's credential and a client id of its own, whatever the browser put in its CONNECT", () => {
    const g = guardConnect(connect({ username: 'admin', password: Buffer.from('guess'), clean: false }), { username: 'op', password: 'op-secret' });
    expect(g.ok).toBe(true);
    const p = (g as { packet: IConnectPacket }).packet;
    expect(p).toMatchObject({ cmd: 'connect', protocolVersion: 4, clean: true, keepalive: 30, username: 'op' });
    expect(p.password?.toString()).toBe('op-secret');
    expect(p.clientId).toMatch(/^uniad-dashboard-[0-9a-f]{12}$/);
  });

  it('should connect without a credential when the server holds none (an anonymous read-only broker)', () => {
    const g = guardConnect(connect({ username: 'x', password: Buffer.from('y') }), undefined);
    expect(g.ok && g.packet.cmd === 'connect' && [g.packet.username, g.packet.password]).toEqual([undefined, undefined]);
  });

  it('should refuse a first packet that is no MQTT 3.1.1 CONNECT, and a last will', () => {
    expect(guardConnect(publish('a', 'b'), undefined)).toEqual({ ok: false, why: 'the first packet must be CONNECT, not publish' });
    expect(guardConnect(connect({ protocolVersion: 5 }), undefined)).toEqual({ ok: false, why: 'MQTT 5 is not relayed; connect with protocolVersion 4' });
    expect(guardConnect(connect({ will: { topic: `${prefix}/l1/c1/threshold/set`, payload: '{"threshold":1}' } }), undefined)).toEqual({ ok: false, why: 'a last will is not relayed' });
  });

  it('should let a viewer subscribe and ping, and publish nothing', () => {
    const subscribe: Packet = { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `${prefix}/#`, qos: 1 }] };
    expect(guardPacket(subscribe, viewer, prefix)).toEqual({ ok: true, packet: subscribe });
    expect(guardPacket({ cmd: 'pingreq' }, viewer, prefix).ok).toBe(true);
    expect(guardPacket(publish(`${prefix}/l1/c1/threshold/set`, '{"threshold":9}'), viewer, prefix)).toEqual({ ok: false, why: `a viewer publishes nothing (tried ${prefix}/l1/c1/threshold/set)` });
  });

  it("should let an operator publish the command topics only, with `by` set to the login's user", () => {
    const g = guardPacket(publish(`${prefix}/l1/c1/threshold/set`, '{"threshold":2.5,"by":"someone else"}'), operator, prefix);
    expect(g.ok && g.packet.cmd === 'publish' && JSON.parse(g.packet.payload.toString())).toEqual({ threshold: 2.5, by: 'op' });
    expect(g.ok && g.packet.cmd === 'publish' && g.packet.messageId).toBe(7);
    const recipe = guardPacket(publish(`${prefix}/l1/recipe`, '{"product":"nut"}'), operator, prefix);
    expect(recipe.ok && recipe.packet.cmd === 'publish' && JSON.parse(recipe.packet.payload.toString())).toEqual({ product: 'nut', by: 'op' });
    for (const topic of [`${prefix}/l1/c1/verdict`, `${prefix}/status/edge1`, 'other/l1/c1/threshold/set', `${prefix}/+/c1/threshold/set`]) {
      expect(guardPacket(publish(topic, '{}'), operator, prefix)).toEqual({ ok: false, why: `an operator publishes only the command topics (threshold/set, recipe, feedback) under ${prefix} (tried ${topic})` });
    }
  });

  it('should pass a command that is no bounded JSON object unchanged, for the service to refuse with its reason', () => {
    const deep = '['.repeat(50) + ']'.repeat(50);
    const g = guardPacket(publish(`${prefix}/l1/c1/threshold/set`, deep), operator, prefix);
    expect(g.ok && g.packet.cmd === 'publish' && g.packet.payload.toString()).toBe(deep);
  });

  it('should refuse packets only a broker sends', () => {
    expect(guardPacket({ cmd: 'connack', returnCode: 0, sessionPresent: false }, operator, prefix)).toEqual({ ok: false, why: 'connack is not a packet a client sends (here or again)' });
    expect(guardPacket(connect(), operator, prefix).ok).toBe(false);
  });
});
