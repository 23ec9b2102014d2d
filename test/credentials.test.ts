import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'uniad-cred-'));
writeFileSync(join(dir, 'uniad_mqtt-password'), 's3cret\n');
writeFileSync(join(dir, 'uniad_viewer'), 'look-only');
const env = { CREDENTIALS_DIRECTORY: dir };
const base = { cameras: [{ id: 'c', line: 'l', product: 'p', source: 'test:' }], model: { path: '/m.onnx' } };

describe('secrets through systemd credentials (LoadCredential=)', () => {
  afterAll(() => rmSync(dir, { recursive: true }));

  it('should read credential:NAME values from $CREDENTIALS_DIRECTORY, and take a TLS key path from there', () => {
    const cfg = parseConfig(
      {
        ...base,
        mqtt: { url: 'mqtts://b:8883', username: 'svc', password: 'credential:uniad_mqtt-password', cert: '/c.pem', key: 'credential:uniad_client.key' },
        dashboard: { username: 'view', password: 'credential:uniad_viewer' },
      },
      '/',
      env,
    );
    expect(cfg.mqtt.password).toBe('s3cret');
    expect(cfg.mqtt.key).toBe(join(dir, 'uniad_client.key'));
    expect(cfg.dashboard.password).toBe('look-only');
  });

  it('should keep plain values as they are', () => {
    expect(parseConfig({ ...base, mqtt: { url: 'mqtt://b', password: 'plain' } }, '/', env).mqtt.password).toBe('plain');
  });

  it('should say what to do when the credential is missing or systemd gave none', () => {
    expect(() => parseConfig({ ...base, embeddedBroker: { username: 'svc', password: 'credential:uniad_nope' } }, '/', env)).toThrow(
      /embeddedBroker\.password: cannot read credential .*uniad_nope.*put the file in \/etc\/uniad-edge\/credentials/,
    );
    expect(() => parseConfig({ ...base, mqtt: { url: 'mqtt://b', password: 'credential:uniad_mqtt-password' } }, '/', {})).toThrow(/mqtt\.password: .*needs \$CREDENTIALS_DIRECTORY/);
  });
});
