/**
 * What the MQTT sink must get from any broker it publishes to: the contract's topics, QoS and retained status, the
 * last will, heatmap rate limits, and every verdict once. Each broker's test file (test/broker/embedded-broker.test.ts
 * for aedes, mosquitto.test.ts for Debian's mosquitto) calls `brokerSuite` with the URL of a broker it started; what
 * only one broker can show (aedes' listeners and accounts, mosquitto's restarts and MQTT 5) stays in that file.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { describe, expect, it, vi } from 'vitest';
import { loggerFrom, silentLogger } from '../../src/log.js';
import { MqttSink } from '../../src/sinks/mqtt-sink.js';
import { readPngText } from '../../src/images/png-text.js';
import { subscribe } from '../support/subscriber.js';
import { decision, mqttConfig, nodeInfo, uniqueIds } from './fixtures.js';

export interface BrokerSuiteOptions {
  /** Verdicts the counting test sends. */
  readonly verdicts: number;
  /** How long the subscriber may take to see them all. */
  readonly verdictsWithinMs: number;
}

export function brokerSuite(name: string, url: () => string, opts: BrokerSuiteOptions): void {
  describe(`${name} with the MQTT sink (shared broker suite)`, () => {
    it('should deliver verdict, reject, heatmap and retained online status, then retained offline after close()', async () => {
      const prefix = 'uniad/contract';
      const sub = await subscribe(url(), [`${prefix}/#`]);
      // a clean run and close has nothing to warn about: once the own retained `offline` came back at QoS 1 and its
      // PUBACK went out after the stream ended, every stop logged "mqtt: error ... write after end"
      const problems: string[] = [];
      const logger = loggerFrom((level, msg, fields) => (level === 'error' || level === 'warn') && problems.push(`${msg} ${JSON.stringify(fields ?? {})}`));
      const sink = new MqttSink({ url: url(), mqtt: mqttConfig(prefix), info: nodeInfo('edge1'), logger });
      await sink.link.ready();
      sink.publish(decision(0));
      sink.publish(decision(1, true));
      await sub.waitFor(2, 'verdict');
      await sub.waitFor(1, 'reject');
      const [heatmap] = await sub.waitFor(1, 'heatmap');

      const [online] = sub.json('status/edge1');
      expect(online).toMatchObject({ state: 'online', node: 'edge1', model: 'uniad-demo@1.0.0', provider: 'tensorrt (fp16, cached engine)', cameras: ['cam1', 'cam2'], version: '0.1.0' });
      const verdicts = sub.json('verdict');
      expect(Object.keys(verdicts[0]!)).toEqual(['id', 'camera', 'line', 'product', 'seq', 'capturedAt', 'decidedAt', 'score', 'threshold', 'normalizedScore', 'reject', 'reason', 'model']);
      expect(verdicts.map((v) => [v.id, v.reject, v.reason])).toEqual([['cam1:s1:0', false, 'ok'], ['cam1:s1:1', true, 'anomaly']]);
      expect(sub.json('reject')).toEqual([verdicts[1]]);
      expect(sub.on('verdict')[0]!.qos).toBe(1);
      expect(sub.on('reject')[0]!.topic).toBe('uniad/contract/line1/cam1/reject');

      const png = PNG.sync.read(heatmap!.payload);
      expect([png.width, png.height]).toEqual([32, 24]); // the frame's size, not the 16×16 map's
      expect(readPngText(heatmap!.payload)['uniad-id']).toBe('cam1:s1:1');
      // a broker may forward a message before it acknowledges it to the publisher (mosquitto does): wait for the acks
      await vi.waitUntil(() => sink.stats().queued === 0, { timeout: 5000 });
      expect(sink.stats()).toMatchObject({ verdicts: 2, rejects: 1, heatmaps: 1, queued: 0, dropped: 0 });

      await sink.close();
      await sub.close();
      const late = await subscribe(url(), [`${prefix}/status/+`]);
      const [status] = await late.waitFor(1);
      expect(status!.retain).toBe(true);
      expect(JSON.parse(status!.payload.toString())).toMatchObject({ state: 'offline', node: 'edge1', reason: 'closed' });
      await late.close();
      expect(problems).toEqual([]);
    });

    it('should rate-limit heatmaps per camera and skip those of passed parts unless includeOk', async () => {
      const prefix = 'uniad/ratelimit';
      let now = 0;
      const sub = await subscribe(url(), [`${prefix}/+/+/heatmap`, `${prefix}/+/+/verdict`]);
      const cfg = mqttConfig(prefix, { heatmaps: { enabled: true, minIntervalMs: 1000, includeOk: false } });
      const sink = new MqttSink({ url: url(), mqtt: cfg, info: nodeInfo('edge-rl'), logger: silentLogger, now: () => now });
      await sink.link.ready();
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
      const sub = await subscribe(url(), [`${prefix}/status/+`]);
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./sink-child.ts', import.meta.url)), url(), prefix, 'edge-will'], { stdio: ['ignore', 'pipe', 'inherit'] });
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
      const late = await subscribe(url(), [`${prefix}/status/+`]);
      const [retained] = await late.waitFor(1);
      expect(retained!.retain).toBe(true);
      expect(JSON.parse(retained!.payload.toString())).toMatchObject({ state: 'offline', reason: 'connection lost' });
      await late.close();
    });

    it('should carry N verdicts to a subscriber with none lost and none duplicated', async () => {
      const prefix = 'uniad/count';
      const n = opts.verdicts;
      const sub = await subscribe(url(), [`${prefix}/+/+/verdict`]);
      const sink = new MqttSink({ url: url(), mqtt: mqttConfig(prefix), info: nodeInfo('edge-count'), logger: silentLogger });
      await sink.link.ready();
      const t0 = performance.now();
      for (let i = 0; i < n; i++) sink.publish(decision(i));
      await sub.waitFor(n, 'verdict', opts.verdictsWithinMs);
      const ms = performance.now() - t0;
      console.log(`${name}: ${n} verdicts in ${ms.toFixed(0)} ms = ${((n / ms) * 1000).toFixed(0)} verdicts/s`);
      expect(uniqueIds(sub.json<{ id: string }>('verdict'))).toEqual(Array.from({ length: n }, (_, i) => `cam1:s1:${i}`));
      await sink.close();
      await sub.close();
    });
  });
}
