/** The secret step of reading the config, on its own, with credentials in a temporary folder. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSecrets } from '../../src/config/secrets.js';
import { validateConfig } from '../../src/config/validate.js';
import { UniadError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'uniad-secrets-'));
writeFileSync(join(dir, 'uniad_service'), 'svc-pw\n');
writeFileSync(join(dir, 'uniad_ops'), 'ops-pw\r\n');
writeFileSync(join(dir, 'uniad_viewer'), 'view-pw');
const env = { CREDENTIALS_DIRECTORY: dir };
const base = { cameras: [{ id: 'c', line: 'l', product: 'p', source: 'test:' }], model: { path: '/m.onnx' } };

describe('config secrets', () => {
  afterAll(() => rmSync(dir, { recursive: true }));

  it('should read each credential:NAME value, take a TLS key as the credential path, and keep plain values', () => {
    const cfg = readSecrets(
      validateConfig({
        ...base,
        mqtt: { url: 'mqtts://broker:8883', username: 'svc', password: 'credential:uniad_service', cert: 'client.pem', key: 'credential:uniad_client.key' },
        embeddedBroker: {
          username: 'svc',
          password: 'credential:uniad_service',
          users: [
            { username: 'ops', password: 'credential:uniad_ops', role: 'operator' },
            { username: 'wall', password: 'plain-pw', role: 'viewer' },
          ],
        },
        dashboard: { username: 'view', password: 'credential:uniad_viewer' },
      }),
      env,
    );
    expect(cfg.mqtt).toMatchObject({ url: 'mqtts://broker:8883', username: 'svc', password: 'svc-pw', cert: 'client.pem', key: join(dir, 'uniad_client.key') });
    expect(cfg.embeddedBroker.password).toBe('svc-pw');
    expect(cfg.embeddedBroker.users.map((u) => u.password)).toEqual(['ops-pw', 'plain-pw']);
    expect(cfg.dashboard.password).toBe('view-pw');
  });

  it('should take the user name and password out of the broker URL, the password as written', () => {
    const cfg = readSecrets(validateConfig({ ...base, mqtt: { url: 'mqtt://svc:credential%3Auniad_service@broker:1883' } }), {});
    expect(cfg.mqtt).toMatchObject({ url: 'mqtt://broker:1883', username: 'svc', password: 'credential:uniad_service' });
  });

  it('should name every secret it cannot read in one error, with the fix', () => {
    const refused = (() => {
      try {
        readSecrets(
          validateConfig({
            ...base,
            mqtt: { url: 'mqtt://broker', password: 'credential:uniad_missing' },
            embeddedBroker: { users: [{ username: 'ops', password: 'credential:no such name', role: 'operator' }] },
            dashboard: { password: 'credential:uniad_viewer' },
          }),
          env,
        );
      } catch (err) {
        return err as UniadError;
      }
      throw new Error('expected the secrets to be refused');
    })();
    expect(refused).toBeInstanceOf(UniadError);
    expect(refused.code).toBe('CONFIG_INVALID');
    expect(refused.message).toMatch(/^config: embeddedBroker\.users\[0\]\.password: "credential:no such name" names no credential \(write credential:NAME/);
    expect(refused.message).toMatch(/; mqtt\.password: cannot read credential .*uniad_missing: ENOENT.* \(put the file in \/etc\/uniad-edge\/credentials\/, root 0600, and restart the unit\)$/);
    expect(refused.message).not.toContain('dashboard.password');
  });
});
