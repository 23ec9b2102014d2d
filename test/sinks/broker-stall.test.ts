/**
 * Two ways a broker keeps verdicts from going out without closing the door for good, on a real aedes broker whose
 * hooks play the part:
 * - it keeps the connection open and answers pings but acknowledges no publish (what a nats-server 2.9 node did after
 *   a peer of its cluster was killed, docs/fleet.md): the link gives the connection up after `mqtt.ackTimeoutSeconds`
 *   and the queue resends on the next one;
 * - it refuses connections for a while with CONNACK "server unavailable": the link keeps trying (MQTT.js alone
 *   stops reconnecting for good after a refusal).
 * Either way every verdict arrives, once.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { afterEach, describe, expect, it } from 'vitest';
import { loggerFrom } from '../../src/log.js';
import { MqttSink } from '../../src/sinks/mqtt-sink.js';
import { subscribe } from '../support/subscriber.js';
import { decision, mqttConfig, nodeInfo, uniqueIds } from './fixtures.js';

const serviceId = 'uniad-edge-edge1';

async function startAedes(hooks: (broker: Aedes) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const broker = await Aedes.createBroker();
  hooks(broker);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `mqtt://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('the MQTT link with a broker that stalls or refuses for a while', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('should give up a connection on which the broker acknowledges nothing, reconnect, and deliver every verdict once', async () => {
    // the service's first connection: every publish is held by the broker, never acknowledged nor forwarded
    const stalled = new WeakSet<Client>();
    let serviceConnects = 0;
    const broker = await startAedes((b) => {
      b.on('client', (client) => {
        if (client.id === serviceId && ++serviceConnects === 1) stalled.add(client);
      });
      b.authorizePublish = (client, _packet, done) => {
        if (client && stalled.has(client)) return;
        done(null);
      };
    });
    cleanups.push(broker.close);
    const prefix = 'uniad/stall';
    const sub = await subscribe(broker.url, [`${prefix}/+/+/verdict`, `${prefix}/status/+`]);
    cleanups.push(() => sub.close());
    const warnings: string[] = [];
    const logger = loggerFrom((level, msg, fields) => level === 'warn' && warnings.push(`${msg} ${JSON.stringify(fields ?? {})}`));
    const sink = new MqttSink({ url: broker.url, mqtt: mqttConfig(prefix, { ackTimeoutSeconds: 1 }), info: nodeInfo('edge1'), logger, reconnectPeriodMs: 200 });
    cleanups.push(() => sink.close());
    await sink.link.ready();
    for (let seq = 0; seq < 20; seq++) sink.publish(decision(seq));

    await sub.waitFor(20, 'verdict', 15_000);
    expect(uniqueIds(sub.json<{ id: string }>('verdict')).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `cam1:s1:${i}`).sort());
    expect(serviceConnects).toBe(2);
    const gaveUp = warnings.filter((w) => w.startsWith('mqtt: the broker acknowledged nothing in time; reconnecting'));
    expect(gaveUp, warnings.join('\n')).toHaveLength(1);
    expect(JSON.parse(gaveUp[0]!.slice(gaveUp[0]!.indexOf('{'))).overdueMs).toBeGreaterThanOrEqual(1000);
    // the stalled connection's status never reached anyone; the second's did
    expect(sub.json<{ state: string }>('status/edge1').map((s) => s.state)).toEqual(['online']);
    await sub.until(() => sink.stats().queued === 0, 'the queue empty', 5000);
  });

  it('should keep reconnecting while the broker answers "server unavailable", and deliver what was queued meanwhile', async () => {
    let refuseService = false;
    const refused: number[] = [];
    let serviceClient: Client | undefined;
    const broker = await startAedes((b) => {
      b.authenticate = (client, _user, _pass, done) => {
        if (client.id === serviceId && refuseService) {
          refused.push(Date.now());
          if (refused.length === 3) refuseService = false;
          return done(Object.assign(new Error('server unavailable'), { returnCode: 3 }) as AuthenticateError, false);
        }
        done(null, true);
      };
      b.on('client', (client) => {
        if (client.id === serviceId) serviceClient = client;
      });
    });
    cleanups.push(broker.close);
    const prefix = 'uniad/refuse';
    const sub = await subscribe(broker.url, [`${prefix}/+/+/verdict`]);
    cleanups.push(() => sub.close());
    const errors: string[] = [];
    const logger = loggerFrom((level, msg, fields) => level === 'error' && errors.push(`${msg} ${JSON.stringify(fields ?? {})}`));
    const sink = new MqttSink({ url: broker.url, mqtt: mqttConfig(prefix), info: nodeInfo('edge1'), logger, reconnectPeriodMs: 200 });
    cleanups.push(() => sink.close());
    await sink.link.ready();
    sink.publish(decision(0));
    await sub.waitFor(1, 'verdict');

    // the connection is lost, and the broker refuses the next three connects
    refuseService = true;
    serviceClient!.close();
    for (let seq = 1; seq < 10; seq++) sink.publish(decision(seq));

    await sub.waitFor(10, 'verdict', 15_000);
    expect(uniqueIds(sub.json<{ id: string }>('verdict')).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `cam1:s1:${i}`).sort());
    expect(refused).toHaveLength(3);
    expect(errors.filter((e) => e.includes('Connection refused: Server unavailable')), errors.join('\n')).toHaveLength(3);
    expect(sink.link.connected).toBe(true);
  });
});
