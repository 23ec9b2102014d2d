/**
 * Item 6 of issue 9, the MQTT part: a password with `#` in `mqtt.url` connected to the wrong host and was printed
 * whole. Against real mosquitto with a password holding `#`, `@`, `%` and `/`: percent-encoded in the URL or given
 * in the fields, the service connects (verdicts reach a subscriber), and no byte of its output or of `check`'s holds
 * the password, raw or encoded; an unencoded one is refused without being shown.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../setup/paths.js';
import { tinyModels } from '../setup/tiny-model.js';
import { Mosquitto } from '../support/mosquitto.js';
import { subscribe } from '../support/subscriber.js';
import { startServiceProcess, writeConfig } from './service-process.js';

const user = 'line-op';
const password = 'p#s@s%w/rd';
const encoded = encodeURIComponent(password); // p%23s%40s%25w%2Frd

/** Every form of the secret that must never appear. */
const leaks = (text: string) => [password, encoded, 's@s%w'].filter((form) => text.includes(form));

describe('an MQTT password with #, @, % and /', () => {
  let dir: string;
  let broker: Mosquitto;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uniad-secrets-'));
    const passwd = join(dir, 'passwd');
    writeFileSync(passwd, '');
    execFileSync('mosquitto_passwd', ['-b', passwd, user, password]);
    broker = await Mosquitto.start(['allow_anonymous false', `password_file ${passwd}`]);
  });
  afterAll(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const config = (name: string, mqtt: Record<string, unknown>) =>
    writeConfig(dir, name, {
      node: name.replace('.yaml', ''),
      cameras: [{ id: 'cam1', line: 'line1', product: 'bolt', source: 'test:ball', fps: 10 }],
      model: { path: tinyModels.ok, providers: ['cpu'], threads: 1 },
      mqtt: { prefix: 'uniad/secret', queue: { store: 'memory' }, ...mqtt },
      dashboard: { enabled: false },
    });

  it('should connect with it percent-encoded in the URL or in the fields, and never print it', async () => {
    const sub = await subscribe(broker.url, ['uniad/secret/+/+/verdict'], { username: user, password });
    for (const [name, mqtt] of [
      ['in-url.yaml', { url: `mqtt://${user}:${encoded}@127.0.0.1:${broker.port}` }],
      ['in-fields.yaml', { url: broker.url, username: user, password }],
    ] as const) {
      const path = config(name, mqtt);
      const check = await promisify(execFile)(process.execPath, [join(repoRoot, 'bin/uniad-edge.js'), 'check', '--config', path], { cwd: dir });
      expect(leaks(check.stdout + check.stderr)).toEqual([]);
      const before = sub.on('verdict').length;
      const svc = startServiceProcess(path, dir);
      await svc.waitForLog('mqtt: connected', 30_000);
      await sub.waitFor(before + 5, 'verdict', 30_000);
      await svc.stop();
      expect(leaks(svc.stderr())).toEqual([]);
      expect(svc.stderr()).not.toMatch(/DEP0\d+|DeprecationWarning/);
      expect(svc.logs.find((l) => l.msg === 'mqtt: connected')).toMatchObject({ url: `mqtt://127.0.0.1:${broker.port}` });
    }
    await sub.close();
  });

  it('should refuse it unencoded in the URL, saying how to fix it and without showing it', async () => {
    const path = config('raw.yaml', { url: `mqtt://${user}:${password}@127.0.0.1:${broker.port}` });
    const r = await promisify(execFile)(process.execPath, [join(repoRoot, 'bin/uniad-edge.js'), 'check', '--config', path], { cwd: dir }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^uniad-edge: config: mqtt\.url: .*must be percent-encoded \(%23 %3F %40 %25 %2F\), or give them in mqtt\.username and mqtt\.password/);
    expect(leaks(r.stderr)).toEqual([]);
  });
});

describe('an RTSP camera password with #, @, % and /', () => {
  it('should be refused unencoded by check without being shown, and never shown percent-encoded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uniad-secrets-rtsp-'));
    try {
      const run = (source: string) => {
        const path = writeConfig(dir, 'rtsp.yaml', { cameras: [{ id: 'cam1', line: 'l', product: 'bolt', source }], model: { path: tinyModels.ok, providers: ['cpu'] } });
        return promisify(execFile)(process.execPath, [join(repoRoot, 'bin/uniad-edge.js'), 'check', '--config', path], { cwd: dir }).then(
          (r) => ({ code: 0, out: r.stdout + r.stderr }),
          (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
        );
      };
      const raw = await run(`rtsp://viewer:${password}@127.0.0.1:9/cam`);
      expect(raw.code).toBe(1);
      expect(raw.out).toContain('cameras[0].source: malformed URL (a "#", "?", "@", "%" or "/" in a user name or password must be percent-encoded');
      expect(leaks(raw.out)).toEqual([]);
      const ok = await run(`rtsp://viewer:${encoded}@127.0.0.1:9/cam`);
      expect(ok.code).toBe(0);
      expect(leaks(ok.out)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
