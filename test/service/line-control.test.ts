/**
 * Running a line: an operator changes a camera's threshold and the line's recipe over MQTT while the service runs
 * (real capture processes, inference worker, embedded broker with accounts), a viewer may not, invalid values are
 * refused, and live sets survive a restart. Tiny model: white and black frames score 1.0; sidecar thresholds bolt 0.5,
 * nut 0.7.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startService, type Service } from '../../src/service.js';
import type { Verdict } from '../../src/types.js';
import { tinyModels } from '../setup/tiny-model.js';
import { subscribe, type Subscriber } from '../support/subscriber.js';

const prefix = 'uniad/ops';
const op = { username: 'op', password: 'op-secret', role: 'operator' as const };
const viewer = { username: 'wall', password: 'wall-secret', role: 'viewer' as const };

interface Echo {
  camera: string;
  product: string;
  threshold: number;
  origin: string;
  by?: string;
}

const lineConfig = (stateDir: string) => parseConfig(lineConfigDoc(stateDir));

function lineConfigDoc(stateDir: string) {
  return {
    site: 'ops',
    node: 'ops',
    stateDir,
    cameras: [
      { id: 'a', line: 'l', product: 'bolt', source: 'test:white', fps: 30 },
      { id: 'b', line: 'l', product: 'bolt', source: 'test:black', fps: 30 },
    ],
    model: { path: tinyModels.ok, providers: ['cpu'], batchMaxSize: 4, batchMaxWaitMs: 20 },
    mqtt: { prefix, queue: { store: 'memory' } },
    embeddedBroker: { port: 0, wsPort: 0, users: [op, viewer] },
    dashboard: { enabled: false },
  };
}

const logs: { msg: string; [k: string]: unknown }[] = [];
const logger = createLogger('info', 'test', (line) => void logs.push(JSON.parse(line)));

/** Verdicts of `camera` in capture order. */
const verdictsOf = (sub: Subscriber, camera: string) =>
  sub
    .json<Verdict>('verdict')
    .filter((v) => v.camera === camera)
    .sort((x, y) => x.seq - y.seq);

/** Waits until `camera` has `n` verdicts that `match` accepts. */
async function verdictsWhere(sub: Subscriber, camera: string, n: number, match: (v: Verdict) => boolean): Promise<void> {
  await expect.poll(() => verdictsOf(sub, camera).filter(match).length, { timeout: 20_000, interval: 50 }).toBeGreaterThanOrEqual(n);
}

/** Once a frame is decided with the change, every LATER captured frame is too: applied from the next captured frame. */
function switchesOnce(verdicts: readonly Verdict[], changed: (v: Verdict) => boolean): void {
  const first = verdicts.findIndex(changed);
  expect(first).toBeGreaterThan(0);
  expect(verdicts.slice(first).every(changed)).toBe(true);
}

const lastEcho = (sub: Subscriber, camera: string) => sub.json<Echo>('threshold').filter((e) => e.camera === camera).at(-1);

describe('line control over MQTT', () => {
  let service: Service | undefined;
  let sub: Subscriber | undefined;
  afterEach(async () => {
    await sub?.close();
    await service?.stop('test end');
  });

  it('should apply an operator\'s threshold and recipe from the next frame, echo them, refuse the rest, and keep live sets over a restart', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'uniad-ops-state-'));
    service = await startService(lineConfig(stateDir), { logger });
    const url = service.brokerUrl!;
    sub = await subscribe(url, [`${prefix}/#`], { username: viewer.username, password: viewer.password });
    const ops = await mqtt.connectAsync(url, { protocolVersion: 4, username: op.username, password: op.password });

    await verdictsWhere(sub, 'a', 5, (v) => v.threshold === 0.5);
    expect(lastEcho(sub, 'a')).toMatchObject({ product: 'bolt', threshold: 0.5, origin: 'model' });

    // A live threshold for camera a: echoed, logged with the authenticated user, applied from the next frame.
    await ops.publishAsync(`${prefix}/l/a/threshold/set`, JSON.stringify({ threshold: 1.5, by: 'claimed-name' }), { qos: 1 });
    await expect.poll(() => lastEcho(sub!, 'a'), { timeout: 10_000 }).toMatchObject({ threshold: 1.5, origin: 'live', by: 'op' });
    await verdictsWhere(sub, 'a', 5, (v) => v.threshold === 1.5);
    switchesOnce(verdictsOf(sub, 'a'), (v) => v.threshold === 1.5);
    for (const v of verdictsOf(sub, 'a').filter((x) => x.threshold === 1.5)) expect(v).toMatchObject({ reason: 'ok', reject: false, normalizedScore: 1 / 1.5 });
    expect(verdictsOf(sub, 'b').every((v) => v.threshold === 0.5)).toBe(true);
    expect(logs.find((l) => l.msg === 'threshold changed')).toMatchObject({ camera: 'a', threshold: 1.5, was: 0.5, by: 'op', sender: 'authenticated by the embedded broker' });

    // Invalid values are refused and logged; the old value stays.
    await ops.publishAsync(`${prefix}/l/a/threshold/set`, '{"threshold": -1}', { qos: 1 });
    await ops.publishAsync(`${prefix}/l/a/threshold/set`, 'forty-two', { qos: 1 });
    await ops.publishAsync(`${prefix}/l/nosuch/threshold/set`, '{"threshold": 2}', { qos: 1 });
    await expect.poll(() => logs.filter((l) => l.msg.startsWith('threshold change refused')).length, { timeout: 10_000 }).toBe(3);
    expect(logs.filter((l) => l.msg.startsWith('threshold change refused')).map((l) => l.why)).toEqual([
      '"threshold" must be a number > 0, got -1',
      'not JSON; send {"threshold": 42.0}',
      expect.stringMatching(/^no camera "nosuch" on line "l"/),
    ]);

    // A viewer may not: the broker refuses it (and closes its connection); nothing changes.
    const wall = await mqtt.connectAsync(url, { protocolVersion: 4, username: viewer.username, password: viewer.password, reconnectPeriod: 0 });
    const closed = new Promise<void>((resolve) => wall.once('close', () => resolve()));
    wall.publish(`${prefix}/l/a/threshold/set`, '{"threshold": 9}', { qos: 1 });
    await closed;
    expect(logs.some((l) => l.msg.startsWith('embedded broker: refused a publish') && l.role === 'viewer')).toBe(true);
    const seen = verdictsOf(sub, 'a').length;
    await verdictsWhere(sub, 'a', seen + 5, () => true);
    expect(verdictsOf(sub, 'a').slice(seen).every((v) => v.threshold === 1.5)).toBe(true);

    // Recipe change-over: both cameras of the line inspect "nut" from the next frame, with nut's threshold (the live
    // set was for bolt); an unknown product is refused with the products it could be.
    await ops.publishAsync(`${prefix}/l/recipe`, '{"product": "nut"}', { qos: 1, retain: true });
    for (const cam of ['a', 'b']) {
      await verdictsWhere(sub, cam, 5, (v) => v.product === 'nut');
      switchesOnce(verdictsOf(sub, cam), (v) => v.product === 'nut');
      expect(verdictsOf(sub, cam).filter((v) => v.product === 'nut').every((v) => v.threshold === 0.7)).toBe(true);
      await expect.poll(() => lastEcho(sub!, cam), { timeout: 10_000 }).toMatchObject({ product: 'nut', threshold: 0.7, origin: 'model' });
    }
    await ops.publishAsync(`${prefix}/l/recipe`, '{"product": "zzz"}', { qos: 1, retain: true });
    await expect.poll(() => logs.find((l) => l.msg.startsWith('recipe refused')), { timeout: 10_000 }).toMatchObject({ why: expect.stringMatching(/^unknown product "zzz": the model tiny@1\.0\.0 knows bolt, nut/) });
    const before = verdictsOf(sub, 'a').length;
    await verdictsWhere(sub, 'a', before + 5, () => true);
    expect(verdictsOf(sub, 'a').slice(before).every((v) => v.product === 'nut')).toBe(true);
    await ops.endAsync();
    await sub.close();
    await service.stop('restart');

    // A restart (a new embedded broker, which forgot the retained recipe) keeps the recipe and the live threshold of
    // camera a for bolt, which is in force again once the recipe goes back to bolt.
    service = await startService(lineConfig(stateDir), { logger });
    sub = await subscribe(service.brokerUrl!, [`${prefix}/#`], { username: viewer.username, password: viewer.password });
    await verdictsWhere(sub, 'a', 3, () => true);
    expect(verdictsOf(sub, 'a').every((v) => v.product === 'nut' && v.threshold === 0.7)).toBe(true);
    expect(logs.some((l) => l.msg === 'live thresholds restored')).toBe(true);
    expect(logs.find((l) => l.msg === 'recipe restored')).toMatchObject({ line: 'l', product: 'nut' });
    const again = await mqtt.connectAsync(service.brokerUrl!, { protocolVersion: 4, username: op.username, password: op.password });
    await again.publishAsync(`${prefix}/l/recipe`, '{"product": "bolt"}', { qos: 1, retain: true });
    await verdictsWhere(sub, 'a', 3, (v) => v.product === 'bolt' && v.threshold === 1.5);
    await expect.poll(() => lastEcho(sub!, 'a'), { timeout: 10_000 }).toMatchObject({ product: 'bolt', threshold: 1.5, origin: 'live', by: 'op' });
    await again.endAsync();
  });
});

describe('LineControl with an external broker', () => {
  it('should log the payload\'s "by" as claimed, since no broker of ours authenticated it', async () => {
    const { LineControl } = await import('../../src/service/line-control.js');
    const { loadSidecar } = await import('../../src/pipeline/sidecar.js');
    const cfg = parseConfig({ ...lineConfigDoc(mkdtempSync(join(tmpdir(), 'uniad-ops-ext-'))), mqtt: { url: 'mqtt://127.0.0.1:1', prefix, queue: { store: 'memory' } }, embeddedBroker: {} });
    const echoes: string[] = [];
    const sidecar = loadSidecar(tinyModels.ok);
    const control = new LineControl({ cfg, publishRetained: (_t, p) => void echoes.push(p), model: () => ({ id: 'tiny@1.0.0', sidecar }), verifiedSender: false, logger });
    control.command(`${prefix}/l/b/threshold/set`, Buffer.from('{"threshold": 0.8, "by": "shift-lead"}'));
    expect(logs.filter((l) => l.msg === 'threshold changed').at(-1)).toMatchObject({ camera: 'b', threshold: 0.8, by: 'shift-lead', sender: 'as claimed by the client' });
    expect(JSON.parse(echoes.at(-1)!)).toMatchObject({ camera: 'b', threshold: 0.8, origin: 'live', by: 'shift-lead' });
  });
});
