/**
 * Issue 19: the config's cross-field rules stopped at the first failure while zod reported every other issue. Now a
 * bad config is refused with all its issues in one error, whatever is broken beside them.
 */
import { describe, expect, it } from 'vitest';
import { configSchema, parseConfig } from '../../src/config.js';
import { UniadError } from '../../src/errors.js';

const camera = (id: string, extra: Record<string, unknown> = {}) => ({ id, line: 'l', product: 'p', source: 'test:ball', ...extra });

function refusal(doc: unknown): UniadError {
  try {
    parseConfig(doc, '/etc/uniad', {});
  } catch (err) {
    expect(err).toBeInstanceOf(UniadError);
    return err as UniadError;
  }
  throw new Error('expected the config to be refused');
}

describe('a bad config, refused with every issue at once', () => {
  it('should name duplicate camera ids, a bad broker URL and a missing model in one error', () => {
    const err = refusal({ cameras: [camera('cam1'), camera('cam1')], mqtt: { url: 'mqtt://plant broker' } });
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain('cameras[1].id: "cam1" is used by another camera (camera ids must be unique)');
    expect(err.message).toContain('model: required (add it; see config.example.yaml)');
    expect(err.message).toContain('mqtt.url: it is not a URL');
  });

  it('should report every cross-field rule broken beside bad fields, each with its field and fix', () => {
    const err = refusal({
      cameras: [camera('cam1', { fps: 0.2, watchdogSeconds: 5, overload: 'newest' }), camera('cam1', { source: 'rtmp://cam/1' }), camera('cam3', { fps: 'fast' })],
      model: { path: 'm.onnx', batchMaxWaitMs: 500, deadlineMs: 500, failSafe: 'maybe' },
      mqtt: { ca: 'ca.pem', cert: 'client.pem', queue: { store: 'cloud' } },
      embeddedBroker: {
        password: 'x',
        users: [
          { username: 'ops', password: 'a', role: 'operator' },
          { username: 'ops', password: 'b', role: 'admin' },
        ],
      },
    });
    expect(err.code).toBe('CONFIG_INVALID');
    for (const part of [
      // the rules
      'cameras[1].id: "cam1" is used by another camera (camera ids must be unique)',
      'cameras[0].watchdogSeconds: 5 s is less than two frames at fps 0.2 (10 s): the camera would be restarted between frames (raise watchdogSeconds or fps)',
      'model.batchMaxWaitMs: 500 ms is not below model.deadlineMs (500 ms): frames would miss their deadline waiting for a batch (lower batchMaxWaitMs)',
      'mqtt.ca/cert/key: TLS files given but no mqtt.url (set mqtt.url to your broker, e.g. mqtts://broker:8883)',
      'mqtt.cert/mqtt.key: a client certificate needs both cert and key',
      'embeddedBroker.password: given without embeddedBroker.username (set both, or list accounts under embeddedBroker.users)',
      'embeddedBroker.users[1].username: "ops" is used twice (user names must be unique)',
      // the fields, some in the very camera, section or account a rule reads
      'cameras[0].overload: "newest" is not one of "drop-oldest", "keep-latest"',
      'cameras[1].source: unsupported scheme "rtmp" (use rtsp, file, v4l2, csi, genicam, test)',
      'cameras[2].fps: expected number, got string',
      'model.failSafe: "maybe" is not one of "reject", "pass"',
      'mqtt.queue.store: "cloud" is not one of "disk", "memory"',
      'embeddedBroker.users[1].role: "admin" is not one of "service", "operator", "viewer", "actuator", "plc"',
    ]) {
      expect(err.message).toContain(part);
    }
  });

  it('should report the rules that span sections beside a section that is broken', () => {
    const err = refusal({ cameras: [camera('a'.repeat(6000))], model: 'm.onnx', mqtt: { prefix: 'x'.repeat(60_000), url: 'mqtts://b', username: 'u', password: 'p' } });
    expect(err.message).toContain('model: expected object, got string');
    expect(err.message).toMatch(/mqtt\.prefix: the topic "x+…" would be 66017 bytes; MQTT allows 65535 \(shorten mqtt\.prefix, site, node, line or camera ids\)/);
    const creds = refusal({ cameras: [camera('cam1', { crop: 'all' })], model: { path: 'm.onnx' }, mqtt: { url: 'mqtt://svc:pw@b', username: 'other' } }).message;
    expect(creds).toContain('cameras[0].crop: expected object, got string');
    expect(creds).toContain('mqtt.url: has a user name and password that differ from mqtt.username/mqtt.password (give the credentials once: remove them from the URL and keep the fields)');
  });

  it('should not add a rule to a value that has its own issue', () => {
    const fps = refusal({ cameras: [camera('cam1', { fps: 0 })], model: { path: 'm.onnx', deadlineMs: 0 } }).message;
    expect(fps).toBe(
      'config: cameras[0].fps: 0 is out of range: 0.1 to 240 frames/s — a cap on the frames taken from the camera; omit it to take what the camera sends; ' +
        'model.deadlineMs: 0 is out of range: 10 to 600000 ms — a frame not inspected this long after capture gets a fail-safe verdict; the actuator needs the answer sooner than minutes',
    );
    const prefix = refusal({ cameras: [camera('cam1')], model: { path: 'm.onnx' }, mqtt: { prefix: 'x'.repeat(70_000) } }).message;
    expect(prefix).toMatch(/^config: mqtt\.prefix: "x+…" is 70000 bytes in UTF-8; an MQTT topic holds at most 65535 \(write topic levels joined by single "\/", e\.g\. uniad\/plant1\)$/);
    expect(refusal({ cameras: [camera('cam1', { source: '' })], model: { path: 'm.onnx' } }).message).toBe('config: cameras[0].source: give a source URI (rtsp://, file://, v4l2:///dev/videoN, test:)');
    expect(refusal({ cameras: [camera('cam1')], model: { path: 'm.onnx' }, mqtt: { url: 'http://b' } }).message).toBe('config: mqtt.url: use mqtt://, mqtts://, ws:// or wss://');
  });

  it("should keep a parser's own code when its issue is the only one, and CONFIG_INVALID beside others", () => {
    const source = refusal({ cameras: [camera('cam1', { source: 'rtmp://cam/1' })], model: { path: 'm.onnx' } });
    expect(source).toMatchObject({ code: 'SOURCE_SCHEME', message: 'config: cameras[0].source: unsupported scheme "rtmp" (use rtsp, file, v4l2, csi, genicam, test)' });
    expect(refusal({ cameras: [camera('cam1', { source: 'v4l2://video0' })], model: { path: 'm.onnx' } }).code).toBe('SOURCE_URI');
    expect(refusal({ cameras: [camera('cam1')], model: { path: 'm.onnx' }, mqtt: { url: 'mqtt://u:p#w@b' } }).code).toBe('MQTT_URL');
    expect(refusal({ cameras: [camera('cam1', { source: 'rtmp://cam/1' })] }).code).toBe('CONFIG_INVALID');
  });

  it('should point a rule about several fields at the one to fix, and name them as its message does', () => {
    const result = configSchema.safeParse({ cameras: [camera('cam1')], model: { path: 'm.onnx' }, mqtt: { url: 'mqtts://b', cert: 'client.pem' } });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([expect.objectContaining({ path: ['mqtt', 'key'], params: { field: 'mqtt.cert/mqtt.key' } })]);
  });
});
