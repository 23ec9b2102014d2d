/**
 * Issue 20, item 12: one operator message killed the service. A JSON value nested 10,000 deep (20 KB) on a command
 * topic overflowed the stack in JSON.stringify (the embedded broker's sender stamp, the refusal's log line); retained
 * as a recipe on mosquitto it crashed every restart. Here the real service process gets such messages from an operator,
 * on both brokers, retained and not, and must go on deciding frames, refuse each command with the reason, and start
 * again over the retained one.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyModels } from '../setup/tiny-model.js';
import { Mosquitto } from '../support/mosquitto.js';
import { subscribe } from '../support/subscriber.js';
import { startServiceProcess, writeConfig, type ServiceProcess } from './service-process.js';

const deep = (depth: number) => `{"product":${'['.repeat(depth)}${']'.repeat(depth)}}`;
const deepThreshold = (depth: number) => `{"threshold":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
const operator = { username: 'line-ops', password: 'op3rator' };

const camera = { id: 'cam1', line: 'line1', product: 'bolt', source: 'test:ball', fps: 10 };
const baseConfig = (dir: string) => ({
  node: 'hostile',
  stateDir: join(dir, 'state'),
  cameras: [camera],
  model: { path: tinyModels.ok, providers: ['cpu'], threads: 1 },
  mqtt: { queue: { store: 'memory' } },
  dashboard: { enabled: false },
});

/** `waiting`, or a failure naming the exit as soon as the service process dies: a crash fails at once, with its log. */
const whileAlive = <T>(svc: ServiceProcess, waiting: Promise<T>): Promise<T> =>
  Promise.race([waiting, svc.exited.then((e) => Promise.reject(new Error(`the service exited (code ${e.code}, signal ${e.signal}):\n${svc.stderr().slice(-2000)}`)))]);

/** Waits until the service decided `n` more frames than now: it is alive and inspecting. */
async function decidesMore(url: string, prefix: string, n: number, auth?: { username: string; password: string }) {
  const sub = await subscribe(url, [`${prefix}/+/+/verdict`], auth);
  await sub.waitFor(n, 'verdict', 30_000);
  await sub.close();
}

describe('a hostile command payload from an operator', () => {
  let dir: string;
  let svc: ServiceProcess | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'uniad-hostile-'));
  });
  afterAll(async () => {
    await svc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should be refused with the reason by the service behind its embedded broker, which goes on deciding frames', async () => {
    svc = startServiceProcess(
      writeConfig(dir, 'embedded.yaml', { ...baseConfig(dir), embeddedBroker: { port: 0, wsPort: 0, users: [{ ...operator, role: 'operator' }] } }),
      dir,
    );
    const { url } = await svc.waitForLog('embedded broker listening');
    await decidesMore(url as string, 'uniad/site', 1, operator);
    const ops = await mqtt.connectAsync(url as string, { protocolVersion: 4, ...operator });
    // 3,000 deep is 6 KB (refused for its depth); 10,000 deep is the 20 KB of the report (refused for its size)
    await ops.publishAsync('uniad/site/line1/recipe', deep(3000), { qos: 1, retain: true });
    await ops.publishAsync('uniad/site/line1/cam1/threshold/set', deepThreshold(1000), { qos: 1 });
    await ops.publishAsync('uniad/site/line1/cam1/threshold/set', deepThreshold(10_000), { qos: 1 });
    await ops.publishAsync('uniad/site/line1/recipe', deep(10_000), { qos: 1 });
    await ops.endAsync();
    const recipe = await whileAlive(svc, svc.waitForLog('recipe refused; the old value stays'));
    const threshold = await whileAlive(svc, svc.waitForLog('threshold change refused; the old value stays'));
    expect(recipe.why).toMatch(/^nested more than 8 levels deep/);
    expect(threshold.why).toMatch(/^nested more than 8 levels deep/);
    const tooBig = /^\d{5} bytes, more than a command may have \(8192\)/;
    await svc.waitForLog('threshold change refused; the old value stays', 10_000, (l) => tooBig.test(String(l.why)));
    await svc.waitForLog('recipe refused; the old value stays', 10_000, (l) => tooBig.test(String(l.why)));
    await decidesMore(url as string, 'uniad/site', 5, operator);
    expect(svc.logs.every((l) => JSON.stringify(l).length < 4000)).toBe(true);
    const exit = await svc.stop();
    svc = undefined;
    expect(exit.code).toBe(0);
  });

  it('should start again and again over the same message retained as a recipe on mosquitto', async () => {
    const passwd = join(dir, 'passwd');
    writeFileSync(passwd, '');
    execFileSync('mosquitto_passwd', ['-b', passwd, operator.username, operator.password]);
    execFileSync('mosquitto_passwd', ['-b', passwd, 'uniad', 'serv1ce']);
    const broker = await Mosquitto.start(['allow_anonymous false', `password_file ${passwd}`]);
    try {
      const prefix = 'uniad/hostile';
      const ops = await mqtt.connectAsync(broker.url, { protocolVersion: 4, ...operator });
      await ops.publishAsync(`${prefix}/line1/recipe`, deep(10_000), { qos: 1, retain: true });
      await ops.publishAsync(`${prefix}/line2/recipe`, deep(3000), { qos: 1, retain: true });
      await ops.endAsync();
      const config = writeConfig(dir, 'mosquitto.yaml', { ...baseConfig(dir), mqtt: { url: broker.url, prefix, username: 'uniad', password: 'serv1ce', queue: { store: 'memory' } } });
      for (let start = 0; start < 2; start++) {
        svc = startServiceProcess(config, dir);
        const refused = await whileAlive(svc, svc.waitForLog('recipe refused; the old value stays'));
        expect(refused.why).toMatch(/^20\d{3} bytes, more than a command may have \(8192\)/);
        await svc.waitForLog('recipe refused; the old value stays', 10_000, (l) => String(l.why).startsWith('nested more than 8 levels deep'));
        await decidesMore(broker.url, prefix, 3, operator);
        const exit = await svc.stop();
        svc = undefined;
        expect(exit.code).toBe(0);
      }
    } finally {
      await broker.close();
    }
  });
});
