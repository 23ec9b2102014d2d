import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/sinks/broker.js';
import { MqttSink } from '../../src/sinks/mqtt.js';
import { readPngText } from '../../src/sinks/png-text.js';
import { subscribe } from '../support/subscriber.js';
import { decision, mqttConfig, nodeInfo, uniqueIds } from './fixtures.js';

const loopback = { host: '127.0.0.1', port: 0, wsPort: 0 };

describe('embedded broker (aedes) with the MQTT sink', () => {
  let broker: EmbeddedBroker;
  beforeAll(async () => {
    broker = await startEmbeddedBroker(loopback, silentLogger);
  });
  afterAll(() => broker.close());

  it('should report the real ports it bound when asked for port 0', () => {
    expect(broker.url).toMatch(/^mqtt:\/\/127\.0\.0\.1:[1-9]\d*$/);
    expect(broker.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:[1-9]\d*$/);
  });

  it('should deliver verdict, reject, heatmap and retained online status, then retained offline after close()', async () => {
    const prefix = 'uniad/contract';
    const sub = await subscribe(broker.url, [`${prefix}/#`]);
    const sink = new MqttSink({ url: broker.url, mqtt: mqttConfig(prefix), info: nodeInfo('edge1'), logger: silentLogger });
    await sink.ready();
    sink.publish(decision(0));
    sink.publish(decision(1, true));
    await sub.waitFor(2, 'verdict');
    await sub.waitFor(1, 'reject');
    const [heatmap] = await sub.waitFor(1, 'heatmap');

    const [online] = sub.json('status/edge1');
    expect(online).toMatchObject({ state: 'online', node: 'edge1', model: 'uniad-demo@1.0.0', cameras: ['cam1', 'cam2'], version: '0.1.0' });
    const verdicts = sub.json('verdict');
    expect(Object.keys(verdicts[0]!)).toEqual(['id', 'camera', 'line', 'product', 'seq', 'capturedAt', 'decidedAt', 'score', 'threshold', 'normalizedScore', 'reject', 'reason', 'model']);
    expect(verdicts.map((v) => [v.id, v.reject, v.reason])).toEqual([['cam1:s1:0', false, 'ok'], ['cam1:s1:1', true, 'anomaly']]);
    expect(sub.json('reject')).toEqual([verdicts[1]]);
    expect(sub.on('verdict')[0]!.qos).toBe(1);
    expect(sub.on('reject')[0]!.topic).toBe('uniad/contract/line1/cam1/reject');

    const png = PNG.sync.read(heatmap!.payload);
    expect([png.width, png.height]).toEqual([32, 24]); // the frame's size, not the 16×16 map's
    expect(readPngText(heatmap!.payload)['uniad-id']).toBe('cam1:s1:1');
    expect(sink.stats()).toMatchObject({ verdicts: 2, rejects: 1, heatmaps: 1, queued: 0, dropped: 0 });

    await sink.close();
    await sub.close();
    const late = await subscribe(broker.url, [`${prefix}/status/+`]);
    const [status] = await late.waitFor(1);
    expect(status!.retain).toBe(true);
    expect(JSON.parse(status!.payload.toString())).toMatchObject({ state: 'offline', node: 'edge1', reason: 'closed' });
    await late.close();
  });

  it('should rate-limit heatmaps per camera and skip those of passed parts unless includeOk', async () => {
    const prefix = 'uniad/ratelimit';
    let now = 0;
    const sub = await subscribe(broker.url, [`${prefix}/+/+/heatmap`, `${prefix}/+/+/verdict`]);
    const cfg = mqttConfig(prefix, { heatmaps: { enabled: true, minIntervalMs: 1000, includeOk: false } });
    const sink = new MqttSink({ url: broker.url, mqtt: cfg, info: nodeInfo('edge-rl'), logger: silentLogger, now: () => now });
    await sink.ready();
    sink.publish(decision(0, true)); // sent
    now = 500;
    sink.publish(decision(1, true)); // within 1000 ms: limited
    sink.publish(decision(2, false)); // passed part: no heatmap at all
    now = 1000;
    sink.publish(decision(3, true)); // sent
    await sub.waitFor(4, 'verdict');
    await sub.waitFor(2, 'heatmap');
    expect(sub.on('heatmap').map((m) => readPngText(m.payload)['uniad-id'])).toEqual(['cam1:s1:0', 'cam1:s1:3']);
    expect(sink.stats()).toMatchObject({ heatmaps: 2, heatmapsRateLimited: 1 });
    await sink.close();
    await sub.close();
  });

  it('should publish the last will offline when the process hosting the sink is killed', async () => {
    const prefix = 'uniad/will';
    const sub = await subscribe(broker.url, [`${prefix}/status/+`]);
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./sink-child.ts', import.meta.url)), broker.url, prefix, 'edge-will'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`sink child exited with ${code} before it was ready`)));
    });
    await sub.waitFor(1);
    child.kill('SIGKILL');
    const [, will] = await sub.waitFor(2);
    expect(JSON.parse(sub.messages[0]!.payload.toString())).toMatchObject({ state: 'online', node: 'edge-will' });
    expect(JSON.parse(will!.payload.toString())).toMatchObject({ state: 'offline', node: 'edge-will', reason: 'connection lost' });
    await sub.close();
    const late = await subscribe(broker.url, [`${prefix}/status/+`]);
    const [retained] = await late.waitFor(1);
    expect(retained!.retain).toBe(true);
    expect(JSON.parse(retained!.payload.toString())).toMatchObject({ state: 'offline', reason: 'connection lost' });
    await late.close();
  });

  it('should serve a ws:// MQTT.js client on the WebSocket listener', async () => {
    const prefix = 'uniad/ws';
    const sub = await subscribe(broker.wsUrl, [`${prefix}/+/+/verdict`]);
    const sink = new MqttSink({ url: broker.wsUrl, mqtt: mqttConfig(prefix), info: nodeInfo('edge-ws'), logger: silentLogger });
    await sink.ready();
    sink.publish(decision(7));
    const [m] = await sub.waitFor(1);
    expect(JSON.parse(m!.payload.toString()).id).toBe('cam1:s1:7');
    await sink.close();
    await sub.close();
  });

  it('should carry N verdicts to a subscriber with none lost and none duplicated', async () => {
    const prefix = 'uniad/count';
    const n = 2000;
    const sub = await subscribe(broker.url, [`${prefix}/+/+/verdict`]);
    const sink = new MqttSink({ url: broker.url, mqtt: mqttConfig(prefix), info: nodeInfo('edge-count'), logger: silentLogger });
    await sink.ready();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) sink.publish(decision(i));
    await sub.waitFor(n, 'verdict', 20_000);
    const ms = performance.now() - t0;
    console.log(`aedes: ${n} verdicts in ${ms.toFixed(0)} ms = ${((n / ms) * 1000).toFixed(0)} verdicts/s`);
    expect(uniqueIds(sub.json<{ id: string }>('verdict'))).toEqual(Array.from({ length: n }, (_, i) => `cam1:s1:${i}`));
    await sink.close();
    await sub.close();
  });
});

describe('embedded broker authentication', () => {
  let broker: EmbeddedBroker;
  beforeAll(async () => {
    broker = await startEmbeddedBroker({ ...loopback, username: 'line', password: 's3cret' }, silentLogger);
  });
  afterAll(() => broker.close());

  it('should refuse a wrong password and accept the right one', async () => {
    await expect(mqtt.connectAsync(broker.url, { protocolVersion: 4, username: 'line', password: 'wrong', reconnectPeriod: 0 })).rejects.toThrow(/Bad username or password/i);
    // anonymous clients are not let in once accounts are configured (unless embeddedBroker.allowAnonymous)
    await expect(mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0 })).rejects.toThrow(/Not authorized/i);
    const ok = await mqtt.connectAsync(broker.url, { protocolVersion: 4, username: 'line', password: 's3cret', reconnectPeriod: 0 });
    expect(ok.connected).toBe(true);
    await ok.endAsync();
  });

  it('should make the sink fail ready() with an actionable error, without the password in it', async () => {
    const logged: string[] = [];
    const logger = { ...silentLogger, error: (msg: string, f?: Record<string, unknown>) => void logged.push(msg + JSON.stringify(f)) };
    const sink = new MqttSink({ url: broker.url, mqtt: mqttConfig('uniad/auth', { username: 'line', password: 'wrong-pass' }), info: nodeInfo('edge-auth'), logger });
    const err = await sink.ready(5000).catch((e: Error) => e);
    expect(String(err)).toMatch(/cannot connect to mqtt:\/\/127\.0\.0\.1:\d+: the broker refused the connection.*check mqtt\.url/);
    expect(String(err) + logged.join()).not.toContain('wrong-pass');
    await sink.close();
  });
});
