/**
 * `mqtt.url` as a list (the nodes of a clustered broker) and the `jetstream` section: what a valid config gives the
 * service, and each mistake named with its field and fix.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { natsSubject } from '../../src/sinks/subjects.js';

const doc = (mqtt: Record<string, unknown>, more: Record<string, unknown> = {}) => ({
  site: 'plant1',
  cameras: [{ id: 'cam1', line: 'line1', product: 'bolt', source: 'test:' }],
  model: { path: 'm.onnx' },
  mqtt,
  ...more,
});

const issue = (mqtt: Record<string, unknown>, more?: Record<string, unknown>) => {
  try {
    parseConfig(doc(mqtt, more));
  } catch (err) {
    return err as Error & { code: string };
  }
  throw new Error('the config was accepted');
};

describe('mqtt.url with the nodes of a broker cluster', () => {
  it('should keep a single URL as it was, and take a list with the login out of the URLs', () => {
    expect(parseConfig(doc({ url: 'mqtt://b1:1883' })).mqtt.url).toBe('mqtt://b1:1883');
    const cfg = parseConfig(doc({ url: ['mqtt://svc:p%23w@b1:1883', 'mqtt://svc:p%23w@b2:1883', 'mqtt://svc:p%23w@b3'] }));
    expect(cfg.mqtt).toMatchObject({ url: ['mqtt://b1:1883', 'mqtt://b2:1883', 'mqtt://b3'], username: 'svc', password: 'p#w' });
  });

  it('should name the node whose URL is bad, or that differs from the first in scheme, path or login, or repeats', () => {
    expect(issue({ url: ['mqtt://b1:1883', 'http://b2:1883'] })).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('mqtt.url[1]: use mqtt://, mqtts://, ws:// or wss://') });
    expect(issue({ url: ['mqtt://b1:1883', 'mqtts://b2:8883'] }).message).toContain("mqtt.url[1]: scheme mqtts:// differs from mqtt.url[0]'s mqtt:// (the nodes of one broker cluster take the same connection: use one scheme for all)");
    expect(issue({ url: ['ws://b1/mqtt', 'ws://b2/ws'] }).message).toContain('mqtt.url[1]: WebSocket path "/ws" differs from mqtt.url[0]\'s "/mqtt"');
    expect(issue({ url: ['mqtt://a:x@b1', 'mqtt://b2'] }).message).toContain("mqtt.url[1]: user name or password differs from mqtt.url[0]'s (one login for all nodes: give it once in mqtt.username and mqtt.password)");
    expect(issue({ url: ['mqtt://b1:1883', 'mqtt://b1:1883'] }).message).toContain('mqtt.url[1]: mqtt://b1:1883 is listed twice');
    expect(issue({ url: [] }).message).toContain('mqtt.url: list at least one broker URL, or leave mqtt.url out for the embedded broker');
    // the nodes share one login: the fields may repeat it (the URL's is taken), not contradict it
    expect(issue({ url: ['mqtt://a:x@b1', 'mqtt://a:x@b2'], username: 'b' }).message).toContain('mqtt.url: has a user name and password that differ from mqtt.username/mqtt.password');
  });
});

describe('the jetstream section', () => {
  it('should take the NATS URLs of the cluster with a default acknowledgement timeout', () => {
    const cfg = parseConfig(doc({ url: ['mqtt://b1', 'mqtt://b2'] }, { jetstream: { urls: ['nats://b1:4222', 'nats://b2:4222'] } }));
    expect(cfg.jetstream).toEqual({ urls: ['nats://b1:4222', 'nats://b2:4222'], ackTimeoutMs: 5000 });
  });

  it('should refuse a URL that is not nats://, and a topic prefix that has no NATS subject', () => {
    expect(issue({}, { jetstream: { urls: ['mqtt://b1:1883'] } }).message).toContain('jetstream.urls[0]: use nats://host:port');
    expect(issue({ prefix: 'uniad/plant.1' }, { jetstream: { urls: ['nats://b1:4222'] } }).message).toContain('mqtt.prefix: with jetstream configured, "uniad/plant.1" holds a "." or white space');
    expect(() => parseConfig(doc({ prefix: 'uniad/plant.1' }))).not.toThrow();
  });

  it('should map MQTT topics and filters to NATS subjects, and give NATS_SUBJECT for one it cannot', () => {
    expect(natsSubject('uniad/plant1/line1/cam1/verdict')).toBe('uniad.plant1.line1.cam1.verdict');
    expect(natsSubject('uniad/+/+/+/verdict')).toBe('uniad.*.*.*.verdict');
    expect(natsSubject('uniad/#')).toBe('uniad.>');
    expect(() => natsSubject('uniad/plant.1/line1')).toThrow(expect.objectContaining({ code: 'NATS_SUBJECT', message: expect.stringContaining('"uniad/plant.1/line1" holds a "."') }));
  });
});
