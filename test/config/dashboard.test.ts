/** The `dashboard:` section: the login, HTTPS, the page's accounts on an external broker, the time zone. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { readSecrets } from '../../src/config/secrets.js';
import { validateConfig } from '../../src/config/validate.js';

const base = { cameras: [{ id: 'c', line: 'l', product: 'p', source: 'test:' }], model: { path: '/m.onnx' } };
const external = { url: 'mqtt://broker.plant:1883' };
const refusal = (doc: object) => {
  try {
    parseConfig(doc, '/etc/uniad-edge');
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
};

describe('config dashboard', () => {
  const dir = mkdtempSync(join(tmpdir(), 'uniad-dash-cfg-'));
  afterAll(() => rmSync(dir, { recursive: true }));

  it('should default to a login beyond loopback, 12-hour sessions, open metrics, no TLS and the box time zone', () => {
    expect(parseConfig(base).dashboard).toMatchObject({ login: 'auto', sessionHours: 12, metricsAuth: 'none', users: [] });
    expect(parseConfig(base).dashboard.tls).toBeUndefined();
    expect(parseConfig(base).dashboard.timeZone).toBeUndefined();
  });

  it('should resolve the TLS files against the config folder', () => {
    const cfg = parseConfig({ ...base, dashboard: { tls: { cert: 'tls/dash.crt', key: '/etc/ssl/dash.key' } } }, '/etc/uniad-edge');
    expect(cfg.dashboard.tls).toEqual({ cert: '/etc/uniad-edge/tls/dash.crt', key: '/etc/ssl/dash.key' });
  });

  it('should take page accounts with an external broker, and refuse them with the embedded one (one set of credentials)', () => {
    const users = [{ username: 'line-ops', password: 'pw', role: 'operator' }];
    expect(parseConfig({ ...base, mqtt: external, dashboard: { users } }).dashboard.users).toEqual(users);
    expect(refusal({ ...base, dashboard: { users } })).toBe(
      'config: dashboard.users: are for an external broker (mqtt.url); with the embedded broker the page logs in with its accounts: move them to embeddedBroker.users (role viewer or operator)',
    );
    expect(refusal({ ...base, mqtt: external, dashboard: { users: [{ username: 'svc', password: 'pw', role: 'service' }] } })).toBe('config: dashboard.users[0].role: "service" is not one of "viewer", "operator"');
  });

  it('should refuse a time zone the box does not know, a login mode and a session length it does not have', () => {
    expect(parseConfig({ ...base, dashboard: { timeZone: 'Asia/Kolkata' } }).dashboard.timeZone).toBe('Asia/Kolkata');
    expect(refusal({ ...base, dashboard: { timeZone: 'Mars/Olympus' } })).toBe(
      'config: dashboard.timeZone: "Mars/Olympus" is not a time zone this box knows (write an IANA name such as Europe/Berlin or UTC; timedatectl list-timezones lists them)',
    );
    expect(refusal({ ...base, dashboard: { login: 'never' } })).toBe('config: dashboard.login: "never" is not one of "auto", "always"');
    expect(refusal({ ...base, dashboard: { sessionHours: 0 } })).toMatch(/^config: dashboard\.sessionHours: 0 is out of range/);
    expect(refusal({ ...base, dashboard: { tls: { cert: 'a.pem' } } })).toMatch(/^config: dashboard\.tls\.key: /);
  });

  it("should read the page accounts' passwords and the TLS key from systemd credentials", () => {
    writeFileSync(join(dir, 'uniad_ops'), 'ops-pw\n');
    const cfg = readSecrets(
      validateConfig({ ...base, mqtt: external, dashboard: { users: [{ username: 'ops', password: 'credential:uniad_ops', role: 'operator' }], tls: { cert: '/etc/dash.crt', key: 'credential:uniad_dash.key' } } }),
      { CREDENTIALS_DIRECTORY: dir },
    );
    expect(cfg.dashboard.users[0]!.password).toBe('ops-pw');
    expect(cfg.dashboard.tls).toEqual({ cert: '/etc/dash.crt', key: join(dir, 'uniad_dash.key') });
  });
});
