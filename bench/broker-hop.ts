/**
 * The floor under the publish stage of the latency runs: one QoS 1 verdict-sized message from an MQTT.js client
 * (logged in as the service) through the embedded broker (`startEmbeddedBroker`, as the service runs it) to a
 * subscriber, with nothing of the pipeline around it, every `gapMs`.
 *
 * The gap matters: between frames the cores go idle, and the first code that runs after a pause runs slower than the
 * same code back to back (caches, branch predictors and, on a virtual machine, the virtual CPU itself have to wake up).
 * Measured at the latency runs' frame interval and back to back, in the same run as the pipeline.
 */
import mqtt from 'mqtt';
import { startEmbeddedBroker } from '../src/broker/embedded-broker.js';
import { silentLogger } from '../src/log.js';
import { preciseNow } from '../src/pipeline/precise-clock.js';
import { spread, type Spread } from './stats.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measureBrokerHop(gapMs: number, messages: number): Promise<Spread> {
  const prefix = 'uniad/hop';
  const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, wsPort: 0 }, silentLogger, { prefix, serviceClientId: 'hop-service' });
  const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'hop-service', username: broker.service.username, password: broker.service.password });
  // as the service's sink does (src/sinks/mqtt-link.ts): no Nagle
  (pub.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  const sub = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  try {
    const sentAt = new Map<number, number>();
    const latency: number[] = [];
    sub.on('message', (_topic, payload) => {
      const at = preciseNow();
      const seq = (JSON.parse(payload.toString()) as { seq: number }).seq;
      latency.push(at - sentAt.get(seq)!);
    });
    await sub.subscribeAsync(`${prefix}/+/+/verdict`, { qos: 1 });
    const padding = 'x'.repeat(300); // a verdict's JSON is about 350 bytes
    for (let seq = 0; seq < messages; seq++) {
      sentAt.set(seq, preciseNow());
      pub.publish(`${prefix}/line1/cam1/verdict`, JSON.stringify({ seq, padding }), { qos: 1 });
      await sleep(gapMs);
    }
    const by = Date.now() + 5000;
    while (latency.length < messages && Date.now() < by) await sleep(10);
    return spread(latency);
  } finally {
    await sub.endAsync();
    await pub.endAsync();
    await broker.close();
  }
}
