/**
 * What a clustered broker offers an MQTT client, measured on a 3-node NATS JetStream cluster of Debian's nats-server
 * started here (test/support/nats-cluster.ts): which MQTT versions and QoS levels it takes, whether retained
 * messages and persistent sessions survive the node that took them, whether the last will is published when a
 * client dies, whether a client id taken over on another node works, what a client with all three URLs sees when its
 * node is killed, and whether JetStream captures the MQTT publishes on the mapped subjects. docs/fleet.md reports it.
 *
 *   npx tsx bench/backbone-probe.ts
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { connect, type NatsConnection } from 'nats';
import { NatsCluster } from '../test/support/nats-cluster.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const results: [string, string][] = [];
const report = (what: string, outcome: string) => {
  results.push([what, outcome]);
  console.log(`${what}: ${outcome}`);
};

async function tryConnect(url: string, options: IClientOptions): Promise<MqttClient | string> {
  return mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 3000, ...options }, false).catch((err: Error) => err.message);
}

/** The messages on `filter` a client gets within `ms` of subscribing (retained ones among them). */
async function collect(url: string, filter: string, ms: number, options: IClientOptions = {}): Promise<{ topic: string; payload: string; retain: boolean }[]> {
  const t0 = Date.now();
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 500, connectTimeout: 30_000, ...options });
  const connected = Date.now();
  const got: { topic: string; payload: string; retain: boolean }[] = [];
  client.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }));
  // while the cluster elects leaders after a node died, a node refuses subscriptions (SUBACK 0x80): ask again
  let refused = 0;
  while (!(await client.subscribeAsync(filter, { qos: 1 }).then(() => true, () => false))) {
    if (Date.now() - t0 > 30_000) throw new Error(`${url} refused the subscription to ${filter} for 30 s`);
    refused++;
    await sleep(500);
  }
  console.log(`  (${url}: connected after ${connected - t0} ms, subscribed after ${Date.now() - t0} ms, ${refused} refusals)`);
  await sleep(ms);
  await client.endAsync(true);
  return got;
}

async function versionsAndQos(cluster: NatsCluster): Promise<void> {
  const url = cluster.nodes[0]!.mqttUrl;
  const v5 = await tryConnect(url, { protocolVersion: 5 });
  report('MQTT 5 CONNECT', typeof v5 === 'string' ? `refused: ${v5}` : 'accepted');
  if (typeof v5 !== 'string') await v5.endAsync();
  const v4 = await tryConnect(url, { protocolVersion: 4 });
  report('MQTT 3.1.1 CONNECT', typeof v4 === 'string' ? `refused: ${v4}` : 'accepted');
  if (typeof v4 === 'string') return;
  const granted = await v4.subscribeAsync({ 'probe/q0': { qos: 0 }, 'probe/q1': { qos: 1 }, 'probe/q2': { qos: 2 } }).catch((err: Error) => err.message);
  report('SUBACK for QoS 0/1/2 subscriptions', typeof granted === 'string' ? granted : granted.map((g) => g.qos).join('/'));
  let closed = false;
  v4.on('close', () => (closed = true));
  const q2 = await Promise.race([
    v4.publishAsync('probe/q2', 'x', { qos: 2 }).then(
      () => 'accepted',
      (err: Error) => `refused: ${err.message}`,
    ),
    sleep(2000).then(() => `no PUBREC within 2 s; the server ${closed ? 'closed the connection' : 'kept the connection open'}`),
  ]);
  report('QoS 2 PUBLISH', q2);
  await v4.endAsync(true);
}

async function retainedAcrossNodes(cluster: NatsCluster): Promise<void> {
  const [n1, n2, n3] = cluster.nodes;
  const pub = await mqtt.connectAsync(n1!.mqttUrl, { protocolVersion: 4 });
  await pub.publishAsync('probe/status/box1', '{"state":"online"}', { qos: 1, retain: true });
  await pub.endAsync();
  const onN3 = await collect(n3!.mqttUrl, 'probe/status/+', 500);
  report('retained message published on n1, read on n3', onN3.filter((m) => m.retain).map((m) => m.payload).join(', ') || 'none');
  await cluster.kill('n1');
  const onN2 = await collect(n2!.mqttUrl, 'probe/status/+', 500);
  report('the same after n1 was SIGKILLed, read on n2', onN2.filter((m) => m.retain).map((m) => m.payload).join(', ') || 'none');
  await cluster.start('n1');
}

async function persistentSession(cluster: NatsCluster): Promise<void> {
  const [n1, n2, n3] = cluster.nodes;
  const clientId = 'probe-persistent';
  const sub = await mqtt.connectAsync(n3!.mqttUrl, { protocolVersion: 4, clean: false, clientId, reconnectPeriod: 0 });
  await sub.subscribeAsync('probe/session/#', { qos: 1 });
  await sub.endAsync();
  const pub = await mqtt.connectAsync(n1!.mqttUrl, { protocolVersion: 4 });
  for (let i = 0; i < 20; i++) await pub.publishAsync('probe/session/a', String(i), { qos: 1 });
  await pub.endAsync();
  await cluster.kill('n3');
  const t0 = Date.now();
  const again = mqtt.connect(n2!.mqttUrl, { protocolVersion: 4, clean: false, clientId, reconnectPeriod: 500 });
  const got = new Set<string>();
  let present: boolean | undefined;
  again.on('connect', (ack) => (present ??= ack.sessionPresent));
  again.on('message', (_topic, payload) => got.add(payload.toString()));
  while (got.size < 20 && Date.now() - t0 < 20_000) await sleep(50);
  report(
    'persistent session made on n3, 20 QoS 1 messages published on n1 while it was away, n3 SIGKILLed, session resumed on n2',
    `session present: ${present}; ${got.size} of 20 received, the last ${Date.now() - t0} ms after reconnecting`,
  );
  await again.endAsync(true);
  await cluster.start('n3');
}

async function lastWill(cluster: NatsCluster): Promise<void> {
  const [n1, , n3] = cluster.nodes;
  const client = await mqtt.connectAsync(n1!.mqttUrl, { protocolVersion: 4, clientId: 'probe-will', will: { topic: 'probe/will/box', payload: Buffer.from('offline'), qos: 1, retain: true } });
  (client.stream as { destroy(): void }).destroy(); // the client's connection dies without DISCONNECT
  client.options.reconnectPeriod = 0;
  const t0 = Date.now();
  let onN3: { payload: string }[] = [];
  while (onN3.length === 0 && Date.now() - t0 < 10_000) onN3 = await collect(n3!.mqttUrl, 'probe/will/box', 500);
  report('last will of a client whose connection died (client on n1), read retained on n3', `${onN3.map((m) => m.payload).join(', ') || 'none'} (looked for ${Date.now() - t0} ms)`);
  await client.endAsync(true);

  const again = await mqtt.connectAsync(n1!.mqttUrl, { protocolVersion: 4, clientId: 'probe-will-2', will: { topic: 'probe/will/box2', payload: Buffer.from('offline'), qos: 1, retain: true } });
  again.options.reconnectPeriod = 0;
  await cluster.kill('n1');
  const t1 = Date.now();
  let afterKill: { payload: string }[] = [];
  while (afterKill.length === 0 && Date.now() - t1 < 10_000) afterKill = await collect(n3!.mqttUrl, 'probe/will/box2', 500);
  report("last will of a client whose NODE died (n1 SIGKILLed), read on n3", `${afterKill.map((m) => m.payload).join(', ') || 'none: the will lived in the dead node'} (looked for ${Date.now() - t1} ms)`);
  await again.endAsync(true);
  await cluster.start('n1');
}

async function failover(cluster: NatsCluster): Promise<void> {
  const servers = cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.mqttPort, protocol: 'mqtt' as const }));
  const client = mqtt.connect({ servers, protocolVersion: 4, clientId: 'probe-failover', reconnectPeriod: 1000 });
  await new Promise((r) => client.once('connect', r));
  const first = client.options.port;
  const firstNode = cluster.nodes.find((n) => n.mqttPort === first)!.name;
  const closedAt: number[] = [];
  client.on('close', () => closedAt.push(Date.now()));
  const killedAt = Date.now();
  await cluster.kill(firstNode);
  await new Promise((r) => client.once('connect', r));
  const connectedAt = Date.now();
  const now = cluster.nodes.find((n) => n.mqttPort === client.options.port)!.name;
  report(
    `MQTT.js with servers [n1,n2,n3] (reconnectPeriod 1 s), its node ${firstNode} SIGKILLed`,
    `close seen after ${closedAt[0]! - killedAt} ms, connected to ${now} ${connectedAt - killedAt} ms after the kill`,
  );
  await cluster.start(firstNode);
  // same client id taken over on another node while the old connection is alive (twin / failover of a live session)
  const other = cluster.nodes.find((n) => n.name !== now)!;
  const twin = await tryConnect(other.mqttUrl, { protocolVersion: 4, clientId: 'probe-failover' });
  await sleep(5000);
  report(`same client id connecting on ${other.name} while connected on ${now}, 5 s later`, typeof twin === 'string' ? `refused: ${twin}` : `accepted; the first connection ${client.connected ? 'kept' : 'was closed'}`);
  if (typeof twin !== 'string') await twin.endAsync(true);
  await client.endAsync(true);
}

async function jetStreamCapture(cluster: NatsCluster): Promise<void> {
  const nc: NatsConnection = await connect({ servers: cluster.natsUrls });
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: 'PROBE', subjects: ['probe.capture.>'], num_replicas: 3 });
  const pub = await mqtt.connectAsync(cluster.nodes[0]!.mqttUrl, { protocolVersion: 4 });
  for (let i = 0; i < 100; i++) await pub.publishAsync('probe/capture/line1/cam1/verdict', `{"id":"${i}"}`, { qos: 1 });
  await pub.endAsync();
  await sleep(300);
  const info = await jsm.streams.info('PROBE');
  const last = await jsm.streams.getMessage('PROBE', { last_by_subj: 'probe.capture.line1.cam1.verdict' });
  report('JetStream stream on probe.capture.> (R3), 100 QoS 1 MQTT publishes to probe/capture/line1/cam1/verdict', `${info.state.messages} stored, subject of the last: ${last.subject}, replicas ${info.config.num_replicas}`);
  await nc.close();
}

async function websocket(): Promise<void> {
  report('MQTT over WebSocket', 'nats-server 2.9 has no MQTT WebSocket listener (its `websocket {}` block speaks the NATS protocol only): see docs/fleet.md');
}

const cluster = await NatsCluster.start(3);
try {
  await versionsAndQos(cluster);
  await retainedAcrossNodes(cluster);
  await persistentSession(cluster);
  await lastWill(cluster);
  await failover(cluster);
  await jetStreamCapture(cluster);
  await websocket();
} finally {
  await cluster.close();
}
console.log(`\n| what | nats-server 2.9.10, 3 nodes |\n| --- | --- |\n${results.map(([w, o]) => `| ${w} | ${o} |`).join('\n')}`);
