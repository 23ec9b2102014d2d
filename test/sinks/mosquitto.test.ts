import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { MqttSink } from '../../src/sinks/mqtt-sink.js';
import { DiskStore } from '../../src/sinks/outbox/disk-store.js';
import { MemoryStore } from '../../src/sinks/outbox/memory-store.js';
import { readPngText } from '../../src/images/png-text.js';
import { Mosquitto } from '../support/mosquitto.js';
import { subscribe } from '../support/subscriber.js';
import { brokerSuite } from './broker.suite.js';
import { decision, mqttConfig, nodeInfo, uniqueIds } from './fixtures.js';

const seqIds = (from: number, n: number) => Array.from({ length: n }, (_, i) => `cam1:s1:${from + i}`);

describe('MQTT sink against Debian mosquitto', () => {
  let broker: Mosquitto;
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'uniad-outbox-'));
    dirs.push(d);
    return d;
  };
  beforeAll(async () => {
    broker = await Mosquitto.start();
  });
  afterAll(async () => {
    await broker.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  brokerSuite('mosquitto', () => broker.url, { verdicts: 5000, verdictsWithinMs: 30_000 });

  it('should deliver a verdict to mosquitto_sub, the Debian client', async () => {
    const prefix = 'uniad/msub';
    // -d prints SUBACK when subscribed; stdbuf line-buffers its stdout so we see it while it runs
    const child = spawn('stdbuf', ['-oL', '/usr/bin/mosquitto_sub', '-W', '10', '-h', '127.0.0.1', '-p', String(broker.port), '-q', '1', '-C', '1', '-d', '-t', `${prefix}/+/+/verdict`]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => out.includes('SUBACK') && resolve());
      child.once('exit', (code) => reject(new Error(`mosquitto_sub exited (${code}) before subscribing: ${out}`)));
    });
    const sink = new MqttSink({ url: broker.url, mqtt: mqttConfig(prefix), info: nodeInfo('m-sub'), logger: silentLogger });
    await sink.link.ready();
    sink.publish(decision(42, true));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    const line = out.split('\n').find((l) => l.startsWith('{'))!;
    expect(JSON.parse(line)).toMatchObject({ id: 'cam1:s1:42', reject: true, reason: 'anomaly', model: 'uniad-demo@1.0.0' });
    await sink.close();
  });

  it('should put the heatmap verdict id in an MQTT 5 user property when connected with v5', async () => {
    const prefix = 'uniad/v5';
    const sub = await subscribe(broker.url, [`${prefix}/+/+/heatmap`], { protocolVersion: 5 });
    const sink = new MqttSink({ url: broker.url, mqtt: mqttConfig(prefix), info: nodeInfo('m-v5'), logger: silentLogger, protocolVersion: 5 });
    await sink.link.ready();
    sink.publish(decision(5, true));
    const [m] = await sub.waitFor(1);
    expect(m!.userProperties).toEqual({ id: 'cam1:s1:5' });
    expect(readPngText(m!.payload)['uniad-id']).toBe('cam1:s1:5');
    await sink.close();
    await sub.close();
  });

  it('should queue verdicts while mosquitto is down and deliver all of them, in order, once each, after it is back', async () => {
    const prefix = 'uniad/outage';
    // a persistent session, as a reject actuator would use: mosquitto keeps the subscription across its restart
    const sub = await subscribe(broker.url, [`${prefix}/+/+/verdict`], { clean: false, clientId: 'actuator-outage' });
    const store = new DiskStore({ dir: tempDir(), max: 10_000 });
    const sink = new MqttSink({ url: broker.url, mqtt: mqttConfig(prefix), info: nodeInfo('m-outage'), logger: silentLogger, store, reconnectPeriodMs: 200 });
    await sink.link.ready();
    sink.publish(decision(0));
    await sub.waitFor(1);

    await broker.stop();
    await vi.waitUntil(() => !sink.link.connected, { timeout: 5000 });
    for (let i = 1; i <= 200; i++) sink.publish(decision(i));
    expect(sink.stats().queued).toBe(200);
    await new Promise((r) => setTimeout(r, 1000)); // a few failed reconnects while down
    await broker.start();

    await sub.waitFor(201, 'verdict', 15_000);
    expect(uniqueIds(sub.json<{ id: string }>('verdict'))).toEqual(seqIds(0, 201));
    await vi.waitUntil(() => sink.stats().queued === 0, { timeout: 5000 });
    await sink.close();
    await sub.close();
  });

  it('should lose nothing when mosquitto stops in the middle of a stream of verdicts', async () => {
    const prefix = 'uniad/midstream';
    const n = 3000;
    const sub = await subscribe(broker.url, [`${prefix}/+/+/verdict`], { clean: false, clientId: 'actuator-midstream' });
    const sink = new MqttSink({ url: broker.url, mqtt: mqttConfig(prefix), info: nodeInfo('m-mid'), logger: silentLogger, reconnectPeriodMs: 200 });
    await sink.link.ready();
    for (let i = 0; i < n; i++) sink.publish(decision(i));
    await sub.waitFor(300, 'verdict'); // stop while most are still queued or in flight
    await broker.stop();
    await broker.start();
    const want = new Set(seqIds(0, n));
    await vi.waitUntil(() => new Set(sub.json<{ id: string }>('verdict').map((v) => v.id)).size === n, { timeout: 20_000, interval: 100 });
    const ids = sub.json<{ id: string }>('verdict').map((v) => v.id);
    // at least once: a message in flight at the stop may come twice, never missing; first arrivals stay in order
    expect([...new Set(ids)]).toEqual([...want]);
    console.log(`mid-stream stop: ${n} verdicts, ${ids.length - n} duplicates (deduplicated by id at the subscriber)`);
    await vi.waitUntil(() => sink.stats().queued === 0, { timeout: 5000 });
    await sink.close();
    await sub.close();
  });

  it('should bound the queue during an outage, dropping and counting the oldest', async () => {
    const prefix = 'uniad/bounded';
    const sub = await subscribe(broker.url, [`${prefix}/+/+/verdict`, `${prefix}/+/+/reject`], { clean: false, clientId: 'actuator-bounded' });
    const sink = new MqttSink({ url: broker.url, mqtt: mqttConfig(prefix), info: nodeInfo('m-bounded'), logger: silentLogger, store: new MemoryStore(50), reconnectPeriodMs: 200 });
    await sink.link.ready();
    await broker.stop();
    await vi.waitUntil(() => !sink.link.connected, { timeout: 5000 });
    for (let i = 0; i < 80; i++) sink.publish(decision(i, i === 79));
    // the reject of #79 is a second queued message: 81 put, 50 kept
    expect(sink.stats()).toMatchObject({ queued: 50, dropped: 31, heatmapsOffline: 1 });
    await broker.start();
    await sub.waitFor(49, 'verdict', 15_000);
    await sub.waitFor(1, 'reject', 5000);
    expect(uniqueIds(sub.json<{ id: string }>('verdict'))).toEqual(seqIds(31, 49));
    await sink.close();
    await sub.close();
  });

  it('should deliver what one sink queued on disk through a new sink after a service restart while the broker was down', async () => {
    const prefix = 'uniad/restart';
    const dir = tempDir();
    const sub = await subscribe(broker.url, [`${prefix}/+/+/verdict`], { clean: false, clientId: 'actuator-restart' });
    await broker.stop();

    const first = new MqttSink({ url: broker.url, mqtt: mqttConfig(prefix), info: nodeInfo('m-restart'), logger: silentLogger, store: new DiskStore({ dir, max: 10_000 }), reconnectPeriodMs: 200 });
    for (let i = 0; i < 100; i++) first.publish(decision(i));
    await first.close(); // broker unreachable: closes at once, the 100 stay on disk

    const second = new MqttSink({ url: broker.url, mqtt: mqttConfig(prefix), info: nodeInfo('m-restart'), logger: silentLogger, store: new DiskStore({ dir, max: 10_000 }), reconnectPeriodMs: 200 });
    expect(second.stats().queued).toBe(100);
    second.publish(decision(100));
    await broker.start();
    await sub.waitFor(101, 'verdict', 15_000);
    expect(uniqueIds(sub.json<{ id: string }>('verdict'))).toEqual(seqIds(0, 101));
    await second.close();
    expect(second.stats().queued).toBe(0);
    await sub.close();
  });
});
