/**
 * MQTT over TLS with client certificates and a password, the way a plant's broker is secured: the service process
 * delivers its verdicts over mqtts; a client without a certificate, or with one but a wrong password, is refused.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/types.js';
import { tinyModels } from '../setup/tiny-model.js';
import { subscribe } from '../support/subscriber.js';
import { startServiceProcess, writeConfig } from './service-process.js';
import { startTlsBroker, type TlsBroker } from './tls-broker.js';

describe('MQTT over TLS with client certificates', () => {
  let broker: TlsBroker;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uniad-tls-service-'));
    broker = await startTlsBroker();
  });
  afterAll(async () => {
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const tls = () => ({ ca: readFileSync(broker.ca), cert: readFileSync(broker.cert), key: readFileSync(broker.key), username: broker.username, password: broker.password });

  it('should deliver the service\'s verdicts over mqtts with a client certificate and password', async () => {
    const sub = await subscribe(broker.url, ['uniad/tls/#'], tls());
    const svc = startServiceProcess(
      writeConfig(dir, 'tls.yaml', {
        node: 'tls',
        cameras: [{ id: 'cam1', line: 'line1', product: 'bolt', source: 'test:ball' }],
        model: { path: tinyModels.ok, providers: ['cpu'], threads: 1 },
        mqtt: { url: broker.url, prefix: 'uniad/tls', ca: broker.ca, cert: broker.cert, key: broker.key, username: broker.username, password: broker.password },
      }),
      dir,
    );
    await sub.waitFor(20, 'verdict', 30_000);
    const stop = await svc.stop();
    const verdicts = sub.json<Verdict>('verdict');
    console.log(`tls: ${verdicts.length} verdicts over ${broker.url}; SIGTERM exit ${stop.code}`);
    expect(verdicts.slice(0, 20).map((v) => v.seq)).toEqual([...Array(20).keys()]);
    expect(sub.json<{ state: string }>('status/tls')[0]).toMatchObject({ state: 'online' });
    expect(stop.code).toBe(0);
    await sub.close();
  });

  it('should have the broker refuse a client without a certificate, and one with a certificate but a wrong password', async () => {
    const { ca, cert, key, username } = tls();
    const outcome = (options: Parameters<typeof subscribe>[2]) => subscribe(broker.url, ['#'], { reconnectPeriod: 0, connectTimeout: 5000, ...options }).then(async (s) => (await s.close(), 'connected'), (e: Error) => e.message);
    const noCertificate = await outcome({ ca, username, password: broker.password });
    const wrongPassword = await outcome({ ca, cert, key, username, password: 'wrong' });
    console.log(`tls refusals: without a certificate "${noCertificate}"; with a wrong password "${wrongPassword}"`);
    expect(noCertificate).toMatch(/certificate required|alert|ECONNRESET|socket hang up/i);
    expect(wrongPassword).toMatch(/Not authorized|Bad username or password/i);
    expect(await outcome({ ca, cert, key, username, password: broker.password })).toBe('connected');
  });
});
