/**
 * The MQTT link with the nodes of a NATS cluster in `mqtt.url` (docs/fleet.md): it hears commands published on
 * another node, and when the node it is connected to is SIGKILLed it reaches the next one and, there, republishes its
 * retained status and retained echoes; the verdicts queued meanwhile go out over JetStream once the stream
 * acknowledges them. That it hears commands again after the failover is not asserted: on nats-server 2.9 the
 * JetStream consumer behind its QoS 1 subscription is not made in about 1 run of 5 (docs/fleet.md, "A command
 * subscription that may be dead after a failover"), and CI must not fail on a known, documented limitation.
 */
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askWhileSettling } from '../../src/fleet/cluster-retry.js';
import { ensureVerdictStream } from '../../src/fleet/verdict-stream.js';
import { MqttSink } from '../../src/sinks/mqtt-sink.js';
import { NatsCluster } from '../support/nats-cluster.js';
import mqtt from 'mqtt';
import { subscribeWhenServed } from '../support/subscriber.js';
import { decision, mqttConfig, nodeInfo } from './fixtures.js';

describe('the MQTT link failing over between the nodes of a cluster', () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;
  beforeAll(async () => {
    cluster = await NatsCluster.start(3);
    nc = await connect({ servers: cluster.natsUrls, maxReconnectAttempts: -1 });
  });
  afterAll(async () => {
    await nc?.close();
    await cluster?.close();
  });

  it('should hear commands from another node, and republish its status and retained echoes and deliver queued verdicts on the next node', async () => {
    const prefix = 'uniad/failover';
    const settled = Date.now() + 30_000;
    const jsm = await askWhileSettling(() => nc.jetstreamManager(), settled);
    await askWhileSettling(() => ensureVerdictStream(jsm, { stream: 'FAILOVER', prefix, replicas: 3, maxAgeMs: 600_000 }), settled);
    // what the link says, shown when a step does not happen in time
    const said: string[] = [];
    const note = (level: string) => (msg: string, fields?: Record<string, unknown>) => void said.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
    const logger = { debug: () => undefined, info: note('info'), warn: note('warn'), error: note('error') };
    const sink = new MqttSink({ mqtt: mqttConfig(prefix, { url: cluster.mqttUrls }), info: nodeInfo('fo-box'), logger, jetstream: { urls: cluster.natsUrls, ackTimeoutMs: 2000 }, reconnectPeriodMs: 500 });
    // the handler hears every message of the link (its status topics too) and picks the commands, as LineControl does
    const commands: string[] = [];
    sink.link.onCommands(({ topic }) => topic.endsWith('/threshold/set') && commands.push(topic));
    await sink.link.ready();
    sink.link.publishRetained(`${prefix}/line1/cam1/threshold`, '{"threshold":0.8}');

    // a command published on node 3 reaches the link on node 1
    const operator = await mqtt.connectAsync(cluster.mqttUrls[2]!, { protocolVersion: 4 });
    // a node's log without its attempts to reach a route, which can fill it
    const nodeSaid = (name: string) => cluster.log(name, 20_000).split('\n').filter((l) => !l.includes('connect to route')).join('\n').slice(-3000);
    const deadline = Date.now() + 60_000;
    while (commands.length === 0) {
      // what the link said up to the deadline, not up to the start of the wait
      if (Date.now() > deadline) throw new Error(`no command heard in 60 s; the link said:\n${said.join('\n')}\n${['n1', 'n3'].map((n) => `${n} said:\n${nodeSaid(n)}`).join('\n')}`);
      await operator.publishAsync(`${prefix}/line1/cam1/threshold/set`, '{"threshold":0.9}', { qos: 1 });
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(commands[0]).toBe(`${prefix}/line1/cam1/threshold/set`);

    // the link is on node 1 (the first URL): kill it, and read from node 3 what the link says once it is back
    await cluster.kill('n1');
    for (let seq = 0; seq < 10; seq++) sink.publish(decision(seq));
    await expect.poll(() => sink.link.connected, { timeout: 60_000, interval: 200 }).toBe(true);
    const reader = await subscribeWhenServed(cluster.mqttUrls[2]!, [`${prefix}/status/+`, `${prefix}/+/+/threshold`]);
    await expect.poll(() => reader.json<{ state: string; at?: number }>('status/fo-box').length, { timeout: 30_000 }).toBeGreaterThan(0);
    expect(reader.json<{ state: string }>('status/fo-box').at(-1)).toMatchObject({ state: 'online', node: 'fo-box' });
    // nats-server 2.9 now and then serves a new subscription without some retained messages it holds (docs/fleet.md;
    // the fleet fault test reads statuses the same way): a fresh subscription reads the echo again, up to 30 s
    const echo = async (): Promise<string | undefined> => {
      const again = await subscribeWhenServed(cluster.mqttUrls[2]!, [`${prefix}/+/+/threshold`]);
      try {
        const until = Date.now() + 5000;
        while (again.on('threshold').length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
        return again.on('threshold').map((m) => m.payload.toString()).at(-1);
      } finally {
        await again.close();
      }
    };
    let echoed = reader.on('threshold').map((m) => m.payload.toString()).at(-1);
    for (const echoBy = Date.now() + 30_000; echoed === undefined && Date.now() < echoBy; ) echoed = await echo();
    expect(echoed).toBe('{"threshold":0.8}');

    await expect.poll(() => sink.stats().queued, { timeout: 30_000 }).toBe(0);
    expect((await (await nc.jetstreamManager()).streams.info('FAILOVER')).state.messages).toBe(10);
    await cluster.start('n1');
    await sink.close();
    await reader.close();
    await operator.endAsync();
  }, 120_000);
});
