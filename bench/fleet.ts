/**
 * What a 3-node NATS JetStream cluster on this box carries for a fleet (docs/fleet.md), with the service's own
 * publishing path (the MQTT sink: offline queue, JetStream link) and a JetStream consumer counting what was stored:
 *
 * 1. Throughput: N publishers (MqttSink instances, each a box) enqueue M verdicts each as fast as they can; verdicts a
 *    second = N·M / time until the last one was acknowledged by the stream (3 replicas).
 * 2. Failover gap: one box publishes `rate` verdicts a second; the node leading the stream is SIGKILLed; the gap is
 *    the longest time without a verdict reaching the consumer, and every verdict is checked to have arrived.
 * 3. The same kill with verdicts as MQTT QoS 1 publishes into the stream (what the MQTT listener alone gives):
 *    acknowledged by MQTT vs stored by the stream.
 *
 *   npx tsx bench/fleet.ts [--boxes 1,3] [--verdicts 3000] [--rate 100] [--trials 3]
 */
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { connect, type NatsConnection } from 'nats';
import { ensureGroupConsumer, ensureVerdictStream } from '../src/fleet/verdict-stream.js';
import { silentLogger } from '../src/log.js';
import { MqttSink } from '../src/sinks/mqtt-sink.js';
import { mqttConfig, nodeInfo, decision } from '../test/sinks/fixtures.js';
import { NatsCluster } from '../test/support/nats-cluster.js';

const { values } = parseArgs({ options: { boxes: { type: 'string', default: '1,3' }, verdicts: { type: 'string', default: '3000' }, rate: { type: 'string', default: '100' }, trials: { type: 'string', default: '3' } } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const t0 = Date.now();
const step = (what: string) => console.error(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${what}`);

/** A verdict of box `box` with sequence number `seq` (ids unique across boxes). */
function boxDecision(box: number, seq: number) {
  const d = decision(seq);
  return { ...d, verdict: { ...d.verdict, id: `b${box}:run:${seq}`, camera: `b${box}`, line: `line${box}` } };
}

function sinkFor(cluster: NatsCluster, prefix: string, box: number): MqttSink {
  return new MqttSink({
    mqtt: { ...mqttConfig(prefix, { url: cluster.mqttUrls }), heatmaps: { enabled: false, minIntervalMs: 0, includeOk: false } },
    info: nodeInfo(`box${box}`),
    logger: silentLogger,
    jetstream: { urls: cluster.natsUrls, ackTimeoutMs: 2000 },
    window: 256,
  });
}

/** What reaches a durable consumer of the stream's verdicts, with arrival times. */
async function watch(nc: NatsConnection, stream: string, prefix: string) {
  const arrivals: { id: string; at: number }[] = [];
  await ensureGroupConsumer(await nc.jetstreamManager(), stream, 'bench', prefix, 30_000);
  const consumer = await nc.jetstream().consumers.get(stream, 'bench');
  const messages = await consumer.consume({ max_messages: 256 });
  void (async () => {
    for await (const m of messages) {
      arrivals.push({ id: (m.json() as { id: string }).id, at: Date.now() });
      m.ack();
    }
  })();
  return { arrivals, close: () => messages.close() };
}

async function throughput(cluster: NatsCluster, nc: NatsConnection, boxes: number, perBox: number): Promise<number> {
  const prefix = `bench/t${boxes}`;
  const stream = `BENCH_T${boxes}`;
  await ensureVerdictStream(await nc.jetstreamManager(), { stream, prefix, replicas: 3, maxAgeMs: 3600_000 });
  const sinks = Array.from({ length: boxes }, (_, b) => sinkFor(cluster, prefix, b));
  await Promise.all(sinks.map((s) => s.link.ready()));
  await sleep(1000); // the JetStream links connect on their own
  const t0 = Date.now();
  sinks.forEach((s, b) => {
    for (let seq = 0; seq < perBox; seq++) s.publish(boxDecision(b, seq));
  });
  await Promise.all(sinks.map((s) => s.verdicts.idle()));
  const seconds = (Date.now() - t0) / 1000;
  await Promise.all(sinks.map((s) => s.close()));
  const stored = (await (await nc.jetstreamManager()).streams.info(stream)).state.messages;
  if (stored !== boxes * perBox) throw new Error(`stream ${stream} holds ${stored} of ${boxes * perBox}`);
  return (boxes * perBox) / seconds;
}

async function failover(cluster: NatsCluster, nc: NatsConnection, rate: number, trial: number) {
  const prefix = `bench/failover${trial}`;
  const stream = `BENCH_FAILOVER${trial}`;
  const jsm = await nc.jetstreamManager();
  step('failover: stream');
  await ensureVerdictStream(jsm, { stream, prefix, replicas: 3, maxAgeMs: 3600_000 });
  step('failover: consumer');
  const seen = await watch(nc, stream, prefix);
  step('failover: sink');
  const sink = sinkFor(cluster, prefix, trial);
  await sink.link.ready();
  let seq = 0;
  const timer = setInterval(() => sink.publish(boxDecision(trial, seq++)), 1000 / rate);
  await sleep(3000);
  const leader = (await jsm.streams.info(stream)).cluster!.leader!;
  const killedAt = Date.now();
  step(`failover: killing the stream leader ${leader}`);
  await cluster.kill(leader);
  await sleep(12_000);
  clearInterval(timer);
  const sent = seq;
  step(`failover: ${sent} sent, ${sink.stats().queued} queued; waiting for the queue to drain`);
  await sink.verdicts.idle();
  step('failover: drained');
  await sink.close();
  await sleep(1000);
  await cluster.start(leader);
  await cluster.waitForMetaLeader();
  seen.close();
  const after = seen.arrivals.filter((a) => a.at >= killedAt - 1000);
  let gap = 0;
  for (let i = 1; i < after.length; i++) gap = Math.max(gap, after[i]!.at - after[i - 1]!.at);
  const distinct = new Set(seen.arrivals.map((a) => a.id)).size;
  return { leader, sent, distinct, copies: seen.arrivals.length - distinct, gapMs: gap };
}

async function mqttOnly(cluster: NatsCluster, nc: NatsConnection, rate: number, trial: number) {
  const jsm = await nc.jetstreamManager();
  const stream = `BENCH_MQTT${trial}`;
  await ensureVerdictStream(jsm, { stream, prefix: `bench/mqtt${trial}`, replicas: 3, maxAgeMs: 3600_000 });
  const leader = (await jsm.streams.info(stream)).cluster!.leader!;
  const node = cluster.nodes.find((n) => n.name !== leader)!;
  const client = await mqtt.connectAsync(node.mqttUrl, { protocolVersion: 4, reconnectPeriod: 500 });
  let acked = 0;
  let seq = 0;
  const timer = setInterval(() => {
    const s = seq++;
    client.publishAsync(`bench/mqtt${trial}/line1/cam1/verdict`, JSON.stringify({ id: `m:${s}` }), { qos: 1 }).then(() => acked++, () => undefined);
  }, 1000 / rate);
  await sleep(3000);
  step(`mqtt only: killing the stream leader ${leader}`);
  await cluster.kill(leader);
  await sleep(12_000);
  clearInterval(timer);
  await sleep(2000);
  await client.endAsync();
  const stored = (await jsm.streams.info(stream)).state.messages;
  await cluster.start(leader);
  await cluster.waitForMetaLeader();
  return { leader, publishedTo: node.name, acked, stored };
}

const cluster = await NatsCluster.start(3);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cluster.close().then(() => process.exit(1)));
const nc = await connect({ servers: cluster.natsUrls, maxReconnectAttempts: -1 });
try {
  const perBox = Number(values.verdicts);
  const rate = Number(values.rate);
  for (const boxes of values.boxes.split(',').map(Number)) {
    const vps = await throughput(cluster, nc, boxes, perBox);
    console.log(`throughput: ${boxes} box(es) x ${perBox} verdicts through the MQTT sink's JetStream path to a 3-replica stream: ${vps.toFixed(0)} verdicts/s`);
  }
  for (let trial = 1; trial <= Number(values.trials); trial++) {
    const f = await failover(cluster, nc, rate, trial);
    console.log(`failover ${trial} (JetStream path): ${f.sent} verdicts sent at ${rate}/s, stream leader ${f.leader} SIGKILLed: ${f.distinct} distinct ids arrived (${f.copies} copies), longest gap ${f.gapMs} ms`);
  }
  for (let trial = 1; trial <= Number(values.trials); trial++) {
    const m = await mqttOnly(cluster, nc, rate, trial);
    console.log(`MQTT-only ${trial}: QoS 1 publishes into the stream (to ${m.publishedTo}), stream leader ${m.leader} SIGKILLed: ${m.acked} acknowledged by MQTT, ${m.stored} stored by the stream`);
  }
} finally {
  await nc.close();
  await cluster.close();
}
