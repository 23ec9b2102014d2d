import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { MqttSink } from '../../src/sinks/mqtt-sink.js';
import { readPngText } from '../../src/images/png-text.js';
import { subscribe } from '../support/subscriber.js';
import { decision, mqttConfig, nodeInfo } from './fixtures.js';

describe('feed topic and status stats', () => {
  let broker: EmbeddedBroker;
  beforeAll(async () => {
    broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, wsPort: 0 }, silentLogger);
  });
  afterAll(() => broker.close());

  it('should publish at most maxFps feed images a camera, each a PNG carrying its verdict', async () => {
    const prefix = 'uniad/feed';
    const sub = await subscribe(broker.url, [`${prefix}/+/+/feed`]);
    let t = 0;
    const sink = new MqttSink({ url: broker.url, mqtt: mqttConfig(prefix, { feed: { enabled: true, maxFps: 2, width: 16 } }), info: nodeInfo('edge1'), logger: silentLogger, now: () => t });
    await sink.link.ready();
    // 10 decisions within 1 s of the sink's clock: two feed images (t=0 and t=500) get through.
    for (let i = 0; i < 10; i++) {
      t = i * 100;
      sink.publish(decision(i, i % 2 === 1));
    }
    const feed = await sub.waitFor(2, 'feed');
    await sink.close();
    expect(sink.stats().feed).toBe(2);
    expect(feed[0]!.topic).toBe('uniad/feed/line1/cam1/feed');
    expect(feed[0]!.qos).toBe(0);
    const png = PNG.sync.read(feed[0]!.payload);
    expect([png.width, png.height]).toEqual([16, 12]); // 32×24 frame downscaled to width 16
    expect(feed.map((m) => JSON.parse(readPngText(m.payload)['uniad-verdict']!).seq)).toEqual([0, 5]);
    await sub.close();
  });

  it('should republish the retained status with the stats it is given', async () => {
    const prefix = 'uniad/stats';
    const sink = new MqttSink({ url: broker.url, mqtt: mqttConfig(prefix), info: nodeInfo('edge1'), logger: silentLogger });
    await sink.link.ready();
    sink.link.setStats({ cameras: { cam1: { fps: 9.5 } }, queued: 0 });
    const sub = await subscribe(broker.url, [`${prefix}/status/edge1`]);
    await expect.poll(() => sub.json('status/edge1').at(-1)?.stats, { timeout: 10_000 }).toEqual({ cameras: { cam1: { fps: 9.5 } }, queued: 0 });
    expect(sub.json('status/edge1').at(-1)).toMatchObject({ state: 'online' });
    await sink.close();
    await sub.close();
  });
});
