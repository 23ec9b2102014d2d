import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../src/config.js';
import { UniadError } from '../src/errors.js';
import { loadSidecar } from '../src/pipeline/sidecar.js';
import { plausibleThresholds } from '../src/pipeline/threshold.js';
import { packageRoot } from '../src/package-root.js';

const minimal = () => ({
  cameras: [{ id: 'cam1', line: 'line1', product: 'tiles', source: 'test:ball' }],
  model: { path: 'models/demo/uniad-demo.onnx' },
});

function errorOf(fn: () => unknown): UniadError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UniadError);
    return err as UniadError;
  }
  throw new Error('expected an error');
}

describe('config', () => {
  it('fills defaults for a minimal config and resolves paths against the config folder', () => {
    const cfg = parseConfig(minimal(), '/etc/uniad');
    // not next to /etc/uniad/: the demo model shipped with the installation (src/config/paths.ts)
    expect(cfg.model.path).toBe(join(packageRoot, 'models/demo/uniad-demo.onnx'));
    expect(parseConfig({ ...minimal(), model: { path: 'models/own.onnx' } }, '/etc/uniad').model.path).toBe('/etc/uniad/models/own.onnx');
    expect(cfg.model.providers).toEqual(['tensorrt', 'cuda', 'cpu']);
    expect(cfg.model.failSafe).toBe('reject');
    expect(cfg.mqtt.url).toBeUndefined();
    expect(cfg.mqtt.prefix).toBe('uniad/site');
    expect(cfg.embeddedBroker.host).toBe('127.0.0.1');
    // 8883 is MQTT over TLS the world over; 9001 is mosquitto's usual WebSocket port
    expect([cfg.embeddedBroker.port, cfg.embeddedBroker.wsPort]).toEqual([1883, 9001]);
    expect(cfg.cameras[0]!.spec).toEqual({ kind: 'test', pattern: 'ball' });
    expect(cfg.cameras[0]!.overload).toBe('drop-oldest');
  });

  it('names the camera index and the fix for an unsupported scheme', () => {
    const doc = minimal();
    doc.cameras.push({ id: 'c2', line: 'l', product: 'p', source: 'test:' }, { id: 'c3', line: 'l', product: 'p', source: 'rtmp://x/y' });
    expect(errorOf(() => parseConfig(doc)).message).toBe('config: cameras[2].source: unsupported scheme "rtmp" (use rtsp, file, v4l2, csi, genicam, test)');
  });

  it('names unknown keys and says to check their spelling', () => {
    const doc = { ...minimal(), modle: {} };
    expect(errorOf(() => parseConfig(doc)).message).toMatch(/\(top level\): unknown key "modle" \(remove, or check the spelling/);
  });

  it('names a wrongly typed nested field with what was expected', () => {
    const doc = { ...minimal(), model: { path: 'm.onnx', batchMaxSize: 'eight' } };
    expect(errorOf(() => parseConfig(doc)).message).toBe('config: model.batchMaxSize: expected number, got string');
  });

  it('names a missing required field', () => {
    const doc = { cameras: minimal().cameras };
    expect(errorOf(() => parseConfig(doc)).message).toBe('config: model: required (add it; see config.example.yaml)');
  });

  it('lists every problem at once, not only the first', () => {
    const doc = { cameras: [{ id: 'cam 1', line: 'l', product: 'p', source: 'test:' }], model: { path: 'm', failSafe: 'maybe' } };
    const msg = errorOf(() => parseConfig(doc)).message;
    expect(msg).toContain('cameras[0].id: "cam 1" has a character other than letters, digits, "_" and "-" (it is an MQTT topic level: use letters, digits');
    expect(msg).toContain('model.failSafe: "maybe" is not one of "reject", "pass"');
  });

  it('refuses duplicate camera ids', () => {
    const doc = minimal();
    doc.cameras.push({ ...doc.cameras[0]! });
    expect(errorOf(() => parseConfig(doc)).message).toBe('config: cameras[1].id: "cam1" is used by another camera (camera ids must be unique)');
  });

  it('refuses TLS files without a broker url and a cert without its key', () => {
    expect(errorOf(() => parseConfig({ ...minimal(), mqtt: { ca: 'ca.pem' } })).message).toMatch(/mqtt\.ca\/cert\/key: TLS files given but no mqtt\.url/);
    expect(errorOf(() => parseConfig({ ...minimal(), mqtt: { url: 'mqtts://b:8883', cert: 'c.pem' } })).message).toMatch(/needs both cert and key/);
  });

  it('takes embedded broker users with a role, and refuses a duplicate name, an unknown role or a password without a user', () => {
    const users = [
      { username: 'ops', password: 'p#1', role: 'operator' },
      { username: 'wall', password: 'p2', role: 'viewer' },
    ];
    expect(parseConfig({ ...minimal(), embeddedBroker: { users } }).embeddedBroker.users).toEqual(users);
    expect(errorOf(() => parseConfig({ ...minimal(), embeddedBroker: { username: 'ops', password: 'x', users } })).message).toBe(
      'config: embeddedBroker.users[0].username: "ops" is used twice (user names must be unique)',
    );
    expect(errorOf(() => parseConfig({ ...minimal(), embeddedBroker: { users: [{ username: 'a', password: 'b', role: 'admin' }] } })).message).toBe(
      'config: embeddedBroker.users[0].role: "admin" is not one of "service", "operator", "viewer", "actuator", "plc", "fleet-admin"',
    );
    expect(errorOf(() => parseConfig({ ...minimal(), embeddedBroker: { password: 'x' } })).message).toMatch(/embeddedBroker\.password: given without embeddedBroker\.username/);
  });

  it('says which file cannot be read and which is not YAML', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uniad-config-'));
    expect(errorOf(() => loadConfig(join(dir, 'missing.yaml'))).message).toMatch(/config: cannot read ".*missing\.yaml": ENOENT/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'cameras: [\n  - id: x\n');
    expect(errorOf(() => loadConfig(bad)).message).toMatch(/config: ".*bad\.yaml" is not valid YAML/);
  });

  it('loads the shipped example config', () => {
    const cfg = loadConfig(new URL('../config.example.yaml', import.meta.url).pathname);
    expect(cfg.cameras.length).toBeGreaterThanOrEqual(2);
  });

  // issue 20, item 3: the example suggested 0.42 where the demo model's scores run 30 to 75
  it("should suggest, even in a comment, only thresholds on the demo model's scale", () => {
    const text = readFileSync(new URL('../config.example.yaml', import.meta.url), 'utf8');
    const sidecar = loadSidecar(new URL('../models/demo/uniad-demo.onnx', import.meta.url).pathname);
    const suggested: { product: string; threshold: number }[] = [];
    let product = '';
    for (const line of text.split('\n')) {
      product = /^\s*(?:- )?product:\s*(\w+)/.exec(line)?.[1] ?? product;
      const single = /^\s*#?\s*threshold:\s*([\d.e+-]+)/.exec(line);
      if (single) suggested.push({ product, threshold: Number(single[1]) });
      const map = /^\s*#?\s*thresholds:\s*\{([^}]*)\}/.exec(line);
      for (const pair of map?.[1]!.split(',') ?? []) {
        const [name, value] = pair.split(':').map((x) => x.trim());
        suggested.push({ product: name!, threshold: Number(value) });
      }
    }
    expect(suggested.length).toBeGreaterThanOrEqual(2);
    for (const { product: p, threshold } of suggested) {
      const { low, high } = plausibleThresholds(sidecar, p);
      expect(sidecar.classes, `product ${p}`).toContain(p);
      expect(threshold, `threshold ${threshold} for ${p}`).toBeGreaterThanOrEqual(low);
      expect(threshold, `threshold ${threshold} for ${p}`).toBeLessThanOrEqual(high);
    }
  });
});

describe('what a valid config may still be wrong about (issue 20, item 19)', () => {
  const external = (mqtt: Record<string, unknown>) => parseConfig({ ...minimal(), mqtt: { url: 'mqtts://broker.plant:8883', ...mqtt } });
  const fields = (cfg: { warnings: readonly { field: string }[] }) => cfg.warnings.map((w) => w.field);

  it('should take credentials given both in the URL and in the fields when they agree, as earlier releases did, with a warning', () => {
    const cfg = external({ url: 'mqtt://svc:pw@broker:1883', username: 'svc', password: 'pw' });
    expect(cfg.mqtt).toMatchObject({ url: 'mqtt://broker:1883', username: 'svc', password: 'pw' });
    expect(cfg.warnings.find((w) => w.field === 'mqtt.url')?.message).toMatch(/^credentials in the URL and in mqtt\.username\/password: they agree.*deprecated: remove them from the URL/);
    // a user name in the URL and the password in the field complete each other
    expect(external({ url: 'mqtt://svc@broker:1883', password: 'pw' }).mqtt).toMatchObject({ username: 'svc', password: 'pw' });
  });

  it('should refuse credentials in the URL and the fields that differ, with the fix', () => {
    expect(() => external({ url: 'mqtt://svc:pw@broker:1883', username: 'svc', password: 'other' })).toThrow('mqtt.url: has a user name and password that differ from mqtt.username/mqtt.password (give the credentials once: remove them from the URL and keep the fields)');
  });

  it("should warn of a broker certificate that is not checked, and of commands whose senders only the broker's ACL can vouch for", () => {
    const cfg = external({ rejectUnauthorized: false });
    expect(fields(cfg)).toEqual(['mqtt.rejectUnauthorized', 'mqtt.commands']);
    expect(cfg.warnings[1]!.message).toContain('docs/mqtt-acl.md');
    expect(fields(external({ commands: false }))).toEqual([]);
    expect(fields(parseConfig(minimal()))).toEqual([]);
  });
});
