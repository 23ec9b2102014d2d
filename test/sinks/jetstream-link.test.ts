/**
 * The verdicts' JetStream path (sinks/jetstream-link.ts) against Debian's nats-server: verdicts and rejects stored in
 * the stream on the subjects their topics map to, once each even when resent (Nats-Msg-Id), seen by an MQTT
 * subscriber of the topic too; without a stream the publishes are not acknowledged, the verdicts stay queued and the
 * status names JETSTREAM_PUBLISH until a stream takes them.
 */
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ensureVerdictStream } from '../../src/fleet/verdict-stream.js';
import { messageId } from '../../src/sinks/jetstream-link.js';
import { MqttSink } from '../../src/sinks/mqtt-sink.js';
import { natsSubject } from '../../src/sinks/subjects.js';
import { NatsCluster } from '../support/nats-cluster.js';
import { subscribe } from '../support/subscriber.js';
import { decision, mqttConfig, nodeInfo } from './fixtures.js';

describe('verdicts to NATS JetStream', () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;
  beforeAll(async () => {
    cluster = await NatsCluster.start(1);
    nc = await connect({ servers: cluster.natsUrls });
  });
  afterAll(async () => {
    await nc?.close();
    await cluster?.close();
  });

  const sinkFor = (prefix: string) =>
    new MqttSink({ mqtt: mqttConfig(prefix, { url: cluster.mqttUrls }), info: nodeInfo('js-box'), logger: silentLogger, jetstream: { urls: cluster.natsUrls, ackTimeoutMs: 1000 }, closeTimeoutMs: 2000 });

  it('should store every verdict and reject once in the stream, and reach MQTT subscribers of the topic too', async () => {
    const prefix = 'uniad/js1';
    const jsm = await nc.jetstreamManager();
    expect(await ensureVerdictStream(jsm, { stream: 'JS1', prefix, replicas: 1, maxAgeMs: 60_000 })).toBe(true);
    expect(await ensureVerdictStream(jsm, { stream: 'JS1', prefix, replicas: 1, maxAgeMs: 60_000 })).toBe(false);
    const sub = await subscribe(cluster.mqttUrls[0]!, [`${prefix}/+/+/verdict`]);
    const sink = sinkFor(prefix);
    await sink.link.ready();
    for (let seq = 0; seq < 20; seq++) sink.publish(decision(seq, seq % 5 === 0));
    await sub.waitFor(20, 'verdict');
    await sink.close();
    const info = await jsm.streams.info('JS1');
    expect(info.state.messages).toBe(24); // 20 verdicts, 4 rejects
    const last = await jsm.streams.getMessage('JS1', { last_by_subj: natsSubject(`${prefix}/line1/cam1/verdict`) });
    expect(JSON.parse(last.string())).toMatchObject({ id: 'cam1:s1:19' });
    expect(sub.json<{ id: string }>('verdict').map((v) => v.id)).toEqual(Array.from({ length: 20 }, (_, seq) => `cam1:s1:${seq}`));
    // a resend of a stored message (the acknowledgement lost on the way) is stored once
    const copy = await nc.jetstream().publish(last.subject, last.data, { msgID: messageId(`${prefix}/line1/cam1/verdict`, last.string()) });
    expect(copy.duplicate).toBe(true);
    expect((await jsm.streams.info('JS1')).state.messages).toBe(24);
    await sub.close();
  });

  it('should keep verdicts queued with JETSTREAM_PUBLISH on the status while no stream takes them, and send them once one does', async () => {
    const prefix = 'uniad/js2';
    const status = await subscribe(cluster.mqttUrls[0]!, [`${prefix}/status/+`]);
    const sink = sinkFor(prefix);
    await sink.link.ready();
    sink.publish(decision(0));
    sink.publish(decision(1));
    await status.waitFor(1, 'status/js-box');
    await expect.poll(() => status.json<{ state: string; causes?: { code: string }[] }>('status/js-box').at(-1), { timeout: 10_000 }).toMatchObject({ state: 'degraded', causes: [{ code: 'JETSTREAM_PUBLISH' }] });
    expect(sink.stats().queued).toBe(2);
    const jsm = await nc.jetstreamManager();
    await ensureVerdictStream(jsm, { stream: 'JS2', prefix, replicas: 1, maxAgeMs: 60_000 });
    await expect.poll(() => sink.stats().queued, { timeout: 10_000 }).toBe(0);
    await expect.poll(() => status.json<{ state: string }>('status/js-box').at(-1)?.state, { timeout: 5000 }).toBe('online');
    expect((await jsm.streams.info('JS2')).state.messages).toBe(2);
    await sink.close();
    await status.close();
  });
});
