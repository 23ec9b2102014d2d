/**
 * A cause that flaps (a verdict stored, the next refused, while a JetStream stream elects its leader) must not turn
 * into a storm of retained statuses: on a clustered broker each one is a replicated write, at the moment the cluster
 * can least afford it. The embedded aedes broker and a real subscriber count what goes out.
 */
import { describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { uniadError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { MqttSink } from '../../src/sinks/mqtt-sink.js';
import { subscribe } from '../support/subscriber.js';
import { mqttConfig, nodeInfo } from './fixtures.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the status while a cause flaps', () => {
  it('should publish at most two statuses a second, the last one the state the causes ended in', async () => {
    const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, wsPort: 0 }, silentLogger);
    const prefix = 'uniad/flap';
    const sub = await subscribe(broker.url, [`${prefix}/status/+`]);
    const sink = new MqttSink({ url: broker.url, mqtt: mqttConfig(prefix), info: nodeInfo('edge1'), logger: silentLogger });
    try {
      await sink.link.ready();
      await sub.waitFor(1, 'status/edge1');
      const started = performance.now();
      // 200 changes over about 1 s, each a different message, ending set
      for (let i = 0; i < 200; i++) {
        if (i % 2 === 0) sink.link.causes.set(uniadError('JETSTREAM_PUBLISH', `uniad.flap.line1.cam${i % 6}.verdict`, 'no stream acknowledged it (no responders)'));
        else sink.link.causes.clear('JETSTREAM_PUBLISH');
        await sleep(5);
      }
      sink.link.causes.set(uniadError('JETSTREAM_PUBLISH', 'uniad.flap.line1.cam9.verdict', 'no stream acknowledged it (no responders)'));
      const flappedMs = performance.now() - started;
      await sleep(1000);

      const statuses = sub.json<{ state: string; causes?: { message: string }[] }>('status/edge1');
      const during = statuses.length - 1; // the first is the connect's
      console.log(`status flap: 201 changes in ${Math.round(flappedMs)} ms, ${during} statuses published`);
      expect(during).toBeGreaterThanOrEqual(1);
      expect(during).toBeLessThanOrEqual(Math.ceil(flappedMs / 500) + 1);
      expect(statuses.at(-1)).toMatchObject({ state: 'degraded', causes: [{ message: expect.stringContaining('uniad.flap.line1.cam9.verdict') }] });
    } finally {
      await sink.close();
      await sub.close();
      await broker.close();
    }
  });
});
