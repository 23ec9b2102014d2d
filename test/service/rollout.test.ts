/**
 * The fleet rollout on three nodes (services started in this process, each with its own state folder and node id) on
 * Debian's mosquitto, the models served over HTTP on loopback by a tiny store: a good model reaches every node, the
 * canary first and the others only after its probation passed; a model that rejects every part is rolled back at
 * the canary and no other node promotes it; a file whose bytes are not those of the rollout's hash is refused by
 * every node, said on the rollout status, the node's status and the log.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { sidecarPathFor } from '../../src/pipeline/sidecar.js';
import { readRegistry } from '../../src/registry/store.js';
import type { Rollout, RolloutStatus } from '../../src/rollout/message.js';
import { startService, type Service } from '../../src/service.js';
import { statePaths } from '../../src/state-dir.js';
import { Mosquitto } from '../support/mosquitto.js';
import { tinyVersion } from '../support/registry-models.js';
import { subscribe, type Subscriber } from '../support/subscriber.js';

const prefix = 'uniad/fleet-test';
const nodes = ['canary', 'b', 'c'] as const;
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('fleet rollout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'uniad-rollout-'));
  const store = join(dir, 'store');
  const logs: { node: string; msg: string; [k: string]: unknown }[] = [];
  let broker: Mosquitto;
  let http: Server;
  let base: string;
  let services: Service[] = [];
  let sub: Subscriber;
  let admin: mqtt.MqttClient;

  /** The rollout message for `model` as served by the store (its hash as given, to publish a tampered file). */
  const rolloutOf = (id: string, model: string, modelSha = sha256(model)): Rollout => ({
    id,
    version: id,
    model: { url: `${base}/${basename(model)}`, sha256: modelSha },
    sidecar: { url: `${base}/${basename(sidecarPathFor(model))}`, sha256: sha256(sidecarPathFor(model)) },
    canary: 'canary',
    by: 'test',
  });
  const statusOf = (node: string, rollout: string) => sub.json<RolloutStatus>(`fleet/rollout/status/${node}`).filter((s) => s.rollout === rollout);
  const states = (node: string, rollout: string) => statusOf(node, rollout).map((s) => s.state);
  const registryOf = (node: string) => readRegistry(statePaths(join(dir, node)).models);

  beforeAll(async () => {
    // white frames score 1.0: thresholds of 1.5 pass them all, of 0.5 reject them all
    const lenient = tinyVersion(join(dir, 'config'), '1.5.0', undefined, undefined, { thresholds: { bolt: 1.5, nut: 1.5 }, defaultThreshold: 1.5 });
    tinyVersion(store, '2.0.0', undefined, undefined, { thresholds: { bolt: 1.5, nut: 1.5 }, defaultThreshold: 1.5 });
    tinyVersion(store, '3.0.0', undefined, undefined, { thresholds: { bolt: 0.5, nut: 0.5 }, defaultThreshold: 0.5 });
    tinyVersion(store, '4.0.0', undefined, undefined, { thresholds: { bolt: 1.5, nut: 1.5 }, defaultThreshold: 1.5 });
    http = createServer((req, res) => {
      try {
        res.end(readFileSync(join(store, basename(req.url ?? ''))));
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    broker = await Mosquitto.start();
    sub = await subscribe(broker.url, [`${prefix}/#`]);
    admin = await mqtt.connectAsync(broker.url);
    for (const node of nodes) {
      const cfg = parseConfig({
        node,
        stateDir: join(dir, node),
        cameras: [{ id: 'cam1', line: `line-${node}`, product: 'bolt', source: 'test:white', fps: 10 }],
        model: { path: lenient, providers: ['cpu'], batchMaxSize: 2, batchMaxWaitMs: 10 },
        mqtt: { url: broker.url, prefix, clientId: `uniad-edge-${node}`, queue: { store: 'memory' } },
        dashboard: { enabled: false },
        registry: { probation: { seconds: 4, maxRejectRate: 0.2, minFrames: 10 } },
      });
      services.push(await startService(cfg, { logger: createLogger('info', node, (line) => void logs.push({ node, ...JSON.parse(line) })) }));
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(services.map((s) => s.stop('test end')));
    services = [];
    await admin?.endAsync();
    await sub?.close();
    await broker?.close();
    await new Promise((r) => http?.close(r));
  });

  const publish = (rollout: Rollout) => admin.publishAsync(`${prefix}/fleet/rollout`, JSON.stringify(rollout), { qos: 1, retain: true });

  it('should bring a good model to every node, the canary first and the others after its probation passed', async () => {
    await publish(rolloutOf('2.0.0', join(store, 'tiny-2.0.0.onnx')));
    for (const node of nodes) {
      await expect.poll(() => states(node, '2.0.0'), { timeout: 60_000, message: `${node}: the rollout's states` }).toEqual(['downloaded', 'promoted', 'probation passed']);
    }
    const passedAt = Date.parse(registryOf('canary').history.find((e) => e.action === 'probation passed' && e.version === '2.0.0')!.at);
    for (const node of nodes) {
      const doc = registryOf(node);
      expect(doc.active, node).toBe('2.0.0');
      const promote = doc.history.find((e) => e.action === 'promote' && e.version === '2.0.0')!;
      expect(promote.by).toBe('fleet rollout 2.0.0 (by test)');
      if (node !== 'canary') expect(Date.parse(promote.at), `${node} promoted after the canary's probation passed`).toBeGreaterThanOrEqual(passedAt);
    }
    const bAt = statusOf('b', '2.0.0').find((s) => s.state === 'promoted')!.at;
    expect(Date.parse(bAt)).toBeGreaterThan(Date.parse(statusOf('canary', '2.0.0').find((s) => s.state === 'promoted')!.at));
    await expect.poll(() => sub.json<{ model?: string }>('verdict').filter((v) => v.model === 'tiny@2.0.0').length, { timeout: 30_000, message: 'verdicts of 2.0.0' }).toBeGreaterThan(0);
  }, 120_000);

  it('should stop a model that rejects everything at the canary, roll it back there, and promote it nowhere else', async () => {
    await publish(rolloutOf('3.0.0', join(store, 'tiny-3.0.0.onnx')));
    await expect.poll(() => states('canary', '3.0.0'), { timeout: 60_000, message: "the canary's states" }).toEqual(['downloaded', 'promoted', 'rolled back']);
    expect(statusOf('canary', '3.0.0').at(-1)!.why).toMatch(/^reject rate 100\.0 % over \d+ frames/);
    for (const node of ['b', 'c']) {
      await expect.poll(() => states(node, '3.0.0'), { timeout: 30_000, message: `${node}: the rollout's states` }).toEqual(['downloaded', 'stopped']);
      expect(statusOf(node, '3.0.0').at(-1)!.why).toMatch(/^the canary canary says rolled back: reject rate 100\.0 %/);
      const doc = registryOf(node);
      expect(doc.active).toBe('2.0.0');
      expect(doc.models.map((m) => m.version)).toContain('3.0.0');
      expect(doc.history.some((e) => e.action === 'promote' && e.version === '3.0.0'), `${node} never promoted 3.0.0`).toBe(false);
    }
    expect(registryOf('canary')).toMatchObject({ active: '2.0.0' });
    expect(registryOf('canary').history.at(-1)).toMatchObject({ action: 'rollback', from: '3.0.0', version: '2.0.0', by: 'uniad-edge (probation)' });
    await expect.poll(() => sub.json<{ causes?: { code: string }[] }>('status/canary').at(-1)?.causes?.map((c) => c.code) ?? [], { timeout: 10_000, message: 'MODEL_ROLLED_BACK on the canary\'s status' }).toContain('MODEL_ROLLED_BACK');
  }, 120_000);

  it('should refuse a file whose bytes are not the ones the rollout hashed, on every node', async () => {
    const model = join(store, 'tiny-4.0.0.onnx');
    const honest = sha256(model);
    const bytes = readFileSync(model);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    writeFileSync(model, bytes);
    await publish(rolloutOf('4.0.0', model, honest));
    for (const node of nodes) {
      await expect.poll(() => states(node, '4.0.0'), { timeout: 30_000, message: `${node}: the rollout's states` }).toEqual(['refused']);
      const refusal = statusOf(node, '4.0.0')[0]!;
      expect(refusal).toMatchObject({ code: 'ROLLOUT_HASH' });
      expect(refusal.why).toContain(`it says sha256 ${honest}, the download has ${sha256(model)}`);
      expect(registryOf(node).models.map((m) => m.version)).not.toContain('4.0.0');
      expect(registryOf(node).active).not.toBe('4.0.0');
      await expect.poll(() => sub.json<{ causes?: { code: string }[] }>(`status/${node}`).at(-1)?.causes?.map((c) => c.code) ?? [], { timeout: 10_000, message: `${node}: ROLLOUT_HASH on its status` }).toContain('ROLLOUT_HASH');
      expect(logs.find((l) => l.node === node && l.msg === 'fleet rollout' && l['code'] === 'ROLLOUT_HASH')).toMatchObject({ rollout: '4.0.0', state: 'refused' });
    }
  }, 60_000);
});
