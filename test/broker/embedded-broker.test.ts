import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, withSender, type EmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { silentLogger } from '../../src/log.js';
import { MqttSink } from '../../src/sinks/mqtt-sink.js';
import { brokerSuite } from '../sinks/broker.suite.js';
import { decision, mqttConfig, nodeInfo } from '../sinks/fixtures.js';
import { subscribe } from '../support/subscriber.js';

const loopback = { host: '127.0.0.1', port: 0, wsPort: 0 };

describe('embedded broker (aedes)', () => {
  let broker: EmbeddedBroker;
  beforeAll(async () => {
    broker = await startEmbeddedBroker(loopback, silentLogger);
  });
  afterAll(() => broker.close());

  brokerSuite('aedes', () => broker.url, { verdicts: 2000, verdictsWithinMs: 20_000 });

  it('should report the real ports it bound when asked for port 0', () => {
    expect(broker.url).toMatch(/^mqtt:\/\/127\.0\.0\.1:[1-9]\d*$/);
    expect(broker.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:[1-9]\d*$/);
  });

  it('should serve a ws:// MQTT.js client on the WebSocket listener', async () => {
    const prefix = 'uniad/ws';
    const sub = await subscribe(broker.wsUrl, [`${prefix}/+/+/verdict`]);
    const sink = new MqttSink({ url: broker.wsUrl, mqtt: mqttConfig(prefix), info: nodeInfo('edge-ws'), logger: silentLogger });
    await sink.link.ready();
    sink.publish(decision(7));
    const [m] = await sub.waitFor(1);
    expect(JSON.parse(m!.payload.toString()).id).toBe('cam1:s1:7');
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
    const err = await sink.link.ready(5000).catch((e: Error) => e);
    expect(String(err)).toMatch(/cannot connect to mqtt:\/\/127\.0\.0\.1:\d+: the broker refused the connection.*check mqtt\.url/);
    expect(String(err) + logged.join()).not.toContain('wrong-pass');
    await sink.close();
  });
});

describe("the embedded broker's sender stamp", () => {
  it('should stamp a command and pass a hostile one through untouched, without overflowing the stack', () => {
    expect(JSON.parse(withSender('{"product":"bolt","by":"me"}', 'ops').toString())).toEqual({ product: 'bolt', by: 'ops' });
    const hostile = `{"product":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    expect(withSender(hostile, 'ops')).toBe(hostile);
  });
});
