/**
 * Item 7 of issue 9: anyone on the box could speak for the service through the embedded broker. With the ACL, an
 * anonymous client, a viewer and an operator try to replace the retained status, publish a fake reject, take the
 * service's client id and leave a will on the status topic. An independent subscriber must see only the service's
 * verdict ids, and the operator's command topics.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { packageRoot } from '../../src/package-root.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { MqttSink } from '../../src/sinks/mqtt-sink.js';
import { tinyModels } from '../setup/tiny-model.js';
import { Mosquitto } from '../support/mosquitto.js';
import { subscribe, type Subscriber } from '../support/subscriber.js';
import { decision, mqttConfig, nodeInfo } from '../sinks/fixtures.js';
import { startServiceProcess, writeConfig } from './service-process.js';

const prefix = 'uniad/acl';
const serviceClientId = 'uniad-edge-edge-acl';
const operator = { username: 'line-ops', password: 'op#p@ss%/w', role: 'operator' as const };
const viewer = { username: 'wall', password: 'v1ewer', role: 'viewer' as const };

/** Resolves when the broker has closed `client`'s connection. */
const closedByBroker = (client: MqttClient) => new Promise<void>((resolve) => client.once('close', () => resolve()));

describe('embedded broker ACL against impersonation', () => {
  let broker: EmbeddedBroker;
  let sink: MqttSink;
  let sub: Subscriber;
  const warnings: string[] = [];
  const logger = { ...silentLogger, warn: (msg: string, f?: Record<string, unknown>) => void warnings.push(`${msg} ${JSON.stringify(f)}`) };
  let sinkCloses = 0;

  const connect = (options: IClientOptions) => mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0, ...options });

  beforeAll(async () => {
    broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, wsPort: 0, users: [operator, viewer], allowAnonymous: true }, logger, { prefix, serviceClientId });
    sub = await subscribe(broker.url, [`${prefix}/#`], { username: viewer.username, password: viewer.password });
    sink = new MqttSink({ url: broker.url, mqtt: mqttConfig(prefix, { ...broker.service, clientId: serviceClientId }), info: nodeInfo('edge-acl'), logger: silentLogger, reconnectPeriodMs: 200 });
    await sink.link.ready();
    (sink.link as unknown as { client: MqttClient }).client.on('close', () => sinkCloses++);
    sink.publish(decision(0));
    await sub.waitFor(1, 'verdict');
  });
  afterAll(async () => {
    await sink.close();
    await sub.close();
    await broker.close();
  });

  it('should close a client that publishes a fake status or reject, and deliver neither', async () => {
    const fakeOnline = JSON.stringify({ state: 'online', node: 'edge-acl', model: 'fake@0' });
    const fakeReject = JSON.stringify({ id: 'cam1:fake:1', camera: 'cam1', line: 'line1', reject: true, reason: 'anomaly' });
    for (const who of [{}, { username: viewer.username, password: viewer.password }, { username: operator.username, password: operator.password }]) {
      const status = await connect(who);
      const gone = closedByBroker(status);
      status.publish(`${prefix}/status/edge-acl`, fakeOnline, { qos: 1, retain: true });
      await gone;
      const reject = await connect(who);
      const gone2 = closedByBroker(reject);
      reject.publish(`${prefix}/line1/cam1/reject`, fakeReject, { qos: 1 });
      await gone2;
    }
    // the service's next verdict comes after every refused publish: nothing fake can arrive later
    sink.publish(decision(1, true));
    await sub.waitFor(2, 'verdict');
    await sub.waitFor(1, 'reject');
    expect(sub.json<{ id: string }>('verdict').map((v) => v.id)).toEqual(['cam1:s1:0', 'cam1:s1:1']);
    expect(sub.json<{ id: string }>('reject').map((v) => v.id)).toEqual(['cam1:s1:1']);
    expect(sub.json<{ model: string }>('status/edge-acl').every((s) => s.model === 'uniad-demo@1.0.0')).toBe(true);
    expect(warnings.filter((w) => w.includes('refused a publish')).length).toBe(6);

    const late = await subscribe(broker.url, [`${prefix}/status/+`], { username: viewer.username, password: viewer.password });
    const [retained] = await late.waitFor(1);
    expect(JSON.parse(retained!.payload.toString())).toMatchObject({ state: 'online', model: 'uniad-demo@1.0.0' });
    await late.close();
  });

  it("should refuse the service's client id to anyone but a service account, leaving the service connected", async () => {
    for (const who of [{}, { username: viewer.username, password: viewer.password }, { username: operator.username, password: operator.password }]) {
      await expect(connect({ ...who, clientId: serviceClientId })).rejects.toThrow(/Identifier rejected/i);
    }
    sink.publish(decision(2));
    await sub.waitFor(3, 'verdict');
    expect(sink.link.connected).toBe(true);
    expect(sinkCloses).toBe(0);
  });

  it('should not publish a will an anonymous client left on the status topic', async () => {
    const sneaky = await connect({ will: { topic: `${prefix}/status/edge-acl`, payload: Buffer.from('{"state":"offline","node":"edge-acl"}'), qos: 1, retain: true } });
    const gone = closedByBroker(sneaky);
    (sneaky.stream as unknown as { destroy(): void }).destroy(); // dies without DISCONNECT: the broker would publish the will
    await gone;
    sink.publish(decision(3));
    await sub.waitFor(4, 'verdict');
    expect(sub.json<{ state: string }>('status/edge-acl').map((s) => s.state)).not.toContain('offline');
  });

  it('should let an operator write the command topics, delivered to subscribers with the authenticated user as "by"', async () => {
    const ops = await connect({ username: operator.username, password: operator.password });
    await ops.publishAsync(`${prefix}/line1/cam1/threshold/set`, '{"threshold":0.5,"by":"someone-else"}', { qos: 1 });
    await ops.publishAsync(`${prefix}/line1/recipe`, '{"product":"bolt"}', { qos: 1, retain: true });
    await sub.waitFor(1, 'recipe');
    expect(sub.json('threshold/set')).toEqual([{ threshold: 0.5, by: operator.username }]);
    expect(sub.json('recipe')).toEqual([{ product: 'bolt', by: operator.username }]);
    expect(ops.connected).toBe(true);
    await ops.endAsync();
  });

  it('should refuse anonymous clients when accounts exist and anonymous access is not allowed', async () => {
    const closed = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, wsPort: 0, users: [viewer] }, silentLogger, { prefix, serviceClientId });
    await expect(mqtt.connectAsync(closed.url, { protocolVersion: 4, reconnectPeriod: 0 })).rejects.toThrow(/Not authorized/i);
    const ok = await mqtt.connectAsync(closed.url, { protocolVersion: 4, reconnectPeriod: 0, username: viewer.username, password: viewer.password });
    await ok.endAsync();
    await closed.close();
  });
});

describe('docs/mqtt-acl.md: the ACL for an external mosquitto', () => {
  let dir: string;
  let broker: Mosquitto;
  const accounts = { service: { username: 'uniad', password: 's3rv#ce' }, ops: { username: 'line-ops', password: 'op@rator' }, reader: { username: 'dashboard', password: 'view%er' } };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uniad-acl-'));
    // the ACL block of the page, as a user would copy it (prefix uniad/plant1)
    const doc = readFileSync(join(packageRoot, 'docs/mqtt-acl.md'), 'utf8');
    const acl = /```\n(# \/etc\/mosquitto\/uniad\.acl\n[\s\S]*?)```/.exec(doc)?.[1];
    expect(acl, 'docs/mqtt-acl.md has the uniad.acl block').toBeDefined();
    writeFileSync(join(dir, 'uniad.acl'), acl!);
    const passwd = join(dir, 'passwd');
    writeFileSync(passwd, '');
    for (const a of Object.values(accounts)) execFileSync('mosquitto_passwd', ['-b', passwd, a.username, a.password]);
    broker = await Mosquitto.start(['allow_anonymous false', `password_file ${passwd}`, `acl_file ${join(dir, 'uniad.acl')}`]);
  });
  afterAll(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("should deliver the service's verdicts and the operator's commands, and nothing the operator or a reader fakes", async () => {
    const p = 'uniad/plant1';
    const sub = await subscribe(broker.url, [`${p}/#`], accounts.reader);
    const service = await mqtt.connectAsync(broker.url, { protocolVersion: 4, ...accounts.service });
    const ops = await mqtt.connectAsync(broker.url, { protocolVersion: 4, ...accounts.ops });
    const reader = await mqtt.connectAsync(broker.url, { protocolVersion: 4, ...accounts.reader });
    await expect(mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0 })).rejects.toThrow(/Not authorized/i);

    for (const c of [ops, reader]) {
      await c.publishAsync(`${p}/line1/cam1/reject`, '{"id":"cam1:fake:0"}', { qos: 1 });
      await c.publishAsync(`${p}/status/edge`, '{"state":"online","model":"fake"}', { qos: 1, retain: true });
    }
    await reader.publishAsync(`${p}/line1/recipe`, '{"product":"fake"}', { qos: 1 });
    // an operator may not answer for the service, nor say which recipe is in force
    await ops.publishAsync(`${p}/line1/cam1/threshold/set/result`, '{"result":"accepted"}', { qos: 1 });
    await ops.publishAsync(`${p}/line1/recipe/current`, '{"product":"fake"}', { qos: 1, retain: true });
    await ops.publishAsync(`${p}/line1/cam1/threshold/set`, '{"threshold":0.5}', { qos: 1 });
    await ops.publishAsync(`${p}/line1/recipe`, '{"product":"bolt"}', { qos: 1 });
    // mosquitto handles one client's publishes in order, but not across clients: the service's last
    await service.publishAsync(`${p}/line1/cam1/reject`, '{"id":"cam1:s1:0"}', { qos: 1 });
    await service.publishAsync(`${p}/status/edge`, '{"state":"online","model":"real"}', { qos: 1, retain: true });
    await sub.waitFor(1, 'status/edge');
    await sub.waitFor(1, 'reject');
    await sub.waitFor(1, 'recipe');
    await sub.waitFor(1, 'threshold/set');
    // a fake one sent before the service's last message would have been delivered before it (one broker, one subscriber)
    expect(sub.json<{ id: string }>('reject').map((r) => r.id)).toEqual(['cam1:s1:0']);
    expect(sub.json('status/edge')).toEqual([{ state: 'online', model: 'real' }]);
    expect(sub.json('recipe')).toEqual([{ product: 'bolt' }]);
    expect([...sub.on('threshold/set/result'), ...sub.on('recipe/current')]).toEqual([]);
    await Promise.all([service.endAsync(), ops.endAsync(), reader.endAsync(), sub.close()]);
  });
});

describe('the service process behind its embedded broker', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'uniad-acl-service-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should keep anonymous clients from faking its status and rejects or taking its client id, with no users configured', async () => {
    const svc = startServiceProcess(
      writeConfig(dir, 'acl.yaml', {
        node: 'acl',
        stateDir: join(dir, 'state'),
        cameras: [{ id: 'cam1', line: 'line1', product: 'bolt', source: 'test:ball', fps: 10 }],
        model: { path: tinyModels.ok, providers: ['cpu'], threads: 1 },
        mqtt: { queue: { store: 'memory' } },
        embeddedBroker: { port: 0, wsPort: 0 },
        dashboard: { enabled: false },
      }),
      dir,
    );
    const { url } = await svc.waitForLog('embedded broker listening');
    const sub = await subscribe(url as string, ['uniad/site/#']);
    await sub.waitFor(1, 'verdict', 30_000);
    const fake = await mqtt.connectAsync(url as string, { protocolVersion: 4, reconnectPeriod: 0 });
    const gone = closedByBroker(fake);
    fake.publish('uniad/site/status/acl', '{"state":"online","model":"fake"}', { qos: 1, retain: true });
    await gone;
    const fake2 = await mqtt.connectAsync(url as string, { protocolVersion: 4, reconnectPeriod: 0 });
    const gone2 = closedByBroker(fake2);
    fake2.publish('uniad/site/line1/cam1/reject', '{"id":"cam1:fake:0","reject":true}', { qos: 1 });
    await gone2;
    await expect(mqtt.connectAsync(url as string, { protocolVersion: 4, reconnectPeriod: 0, clientId: 'uniad-edge-acl' })).rejects.toThrow(/Identifier rejected/i);
    const seen = sub.on('verdict').length;
    await sub.waitFor(seen + 3, 'verdict'); // the service goes on publishing, after all three attempts
    await svc.stop();
    await sub.until(() => sub.json<{ state: string }>('status/acl').some((s) => s.state === 'offline'), 'the retained status offline after the stop');

    const ids = sub.json<{ id: string }>('verdict').map((v) => v.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => id.startsWith('cam1:') && !id.includes('fake'))).toBe(true);
    expect(sub.json<{ id: string }>('reject').every((r) => ids.includes(r.id))).toBe(true);
    expect(sub.json<{ model?: string }>('status/acl').every((s) => s.model === undefined || s.model === 'tiny@1.0.0')).toBe(true);
    expect(svc.logs.filter((l) => l.msg === 'mqtt: connected')).toHaveLength(1); // never knocked off
    expect(svc.logs.filter((l) => String(l.msg).startsWith('embedded broker: refused')).map((l) => l.msg)).toEqual([
      'embedded broker: refused a publish the client is not allowed (connection closed)',
      'embedded broker: refused a publish the client is not allowed (connection closed)',
      "embedded broker: refused a client that is not the service but used the service's client id",
    ]);
    await sub.close();
  });
});
