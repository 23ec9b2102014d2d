/**
 * Running a line: an operator changes a camera's threshold and the line's recipe over MQTT while the service runs
 * (real capture processes, inference worker, embedded broker with accounts), a viewer may not, invalid values are
 * refused, and live sets survive a restart. Tiny model: white and black frames score 1.0; sidecar thresholds bolt 0.5,
 * nut 0.7.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { loadSidecar } from '../../src/pipeline/sidecar.js';
import { startService, type Service } from '../../src/service.js';
import { LineControl } from '../../src/service/line-control.js';
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
      '"threshold" must be a number from 1e-9 to 1e9, got -1',
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
    const { CommandRegistry } = await import('../../src/service/command-registry.js');
    const { loadSidecar } = await import('../../src/pipeline/sidecar.js');
    const cfg = parseConfig({ ...lineConfigDoc(mkdtempSync(join(tmpdir(), 'uniad-ops-ext-'))), mqtt: { url: 'mqtt://127.0.0.1:1', prefix, queue: { store: 'memory' } }, embeddedBroker: {} });
    const echoes: string[] = [];
    const sidecar = loadSidecar(tinyModels.ok);
    const control = new LineControl({ cfg, publishRetained: (t, p) => void (t.endsWith('/threshold') && echoes.push(p)), model: () => ({ id: 'tiny@1.0.0', sidecar }), logger });
    const feedback = { apply: () => ({ ok: false, why: 'not this test' }) as const, inForce: () => undefined };
    const registry = new CommandRegistry({ prefix, handlers: { ...control.commands, feedback, promote: { apply: () => ({ ok: false, why: 'not here' }), inForce: () => null } }, enabled: () => true, verifiedSender: false, reply: () => undefined, clearRetained: () => undefined, logger });
    registry.receive({ topic: `${prefix}/l/b/threshold/set`, payload: Buffer.from('{"threshold": 0.8, "by": "shift-lead"}'), retained: false });
    expect(logs.filter((l) => l.msg === 'threshold changed').at(-1)).toMatchObject({ camera: 'b', threshold: 0.8, by: 'shift-lead', sender: 'as claimed by the client' });
    expect(JSON.parse(echoes.at(-1)!)).toMatchObject({ camera: 'b', threshold: 0.8, origin: 'live', by: 'shift-lead' });
  });
});

describe('the threshold in force (issue 20, item 3)', () => {
  const sidecar = loadSidecar(tinyModels.ok);
  const v1 = { id: 'tiny@1.0.0', sidecar };
  const v2 = { id: 'tiny@2.0.0', sidecar: { ...sidecar, version: '2.0.0', thresholds: { bolt: 0.9, nut: 0.7 } } };
  const target = (camera: string) => ({ kind: 'threshold' as const, topic: `${prefix}/l/${camera}/threshold/set`, names: { line: 'l', camera } });
  const op = { by: 'op', verified: true };

  /** A line control on `cameras` with the model `live()` says, its echoes by topic. */
  function control(cameras: Record<string, unknown>[], live: () => { id: string; sidecar: typeof sidecar }) {
    const cfg = parseConfig({ ...lineConfigDoc(mkdtempSync(join(tmpdir(), 'uniad-inforce-'))), cameras });
    const echoes = new Map<string, Record<string, unknown>>();
    const line = new LineControl({ cfg, publishRetained: (t, p) => void echoes.set(t, JSON.parse(p)), model: live, logger });
    line.publish();
    return { cfg, line, echoes };
  }

  it('should log and echo a live threshold that stops deciding after a model swap, with the value before and after', () => {
    let live = v1;
    const { cfg, line, echoes } = control([{ id: 'a', line: 'l', product: 'bolt', source: 'test:white' }], () => live);
    expect(line.commands.threshold.apply(target('a'), { threshold: 1.5, force: false }, op)).toMatchObject({ ok: true, inForce: { threshold: 1.5, origin: 'live', model: 'tiny@1.0.0' } });
    const apply = line.prepareReload(cfg, v2);
    live = v2;
    apply(v2.id);
    expect(logs.filter((l) => l.msg === 'threshold in force changed' && l.camera === 'a').at(-1)).toMatchObject({
      level: 'warn',
      because: 'reload',
      product: 'bolt',
      model: 'tiny@2.0.0',
      threshold: 0.9,
      origin: 'model',
      was: { product: 'bolt', model: 'tiny@1.0.0', threshold: 1.5, origin: 'live' },
    });
    expect(echoes.get(`${prefix}/l/a/threshold`)).toMatchObject({ model: 'tiny@2.0.0', threshold: 0.9, origin: 'model' });
  });

  it("should keep a camera's configured threshold for each product it has one for, across a recipe change", () => {
    const { line, echoes } = control([{ id: 'a', line: 'l', product: 'bolt', source: 'test:white', threshold: 1.2, thresholds: { nut: 0.9 } }], () => v1);
    expect(echoes.get(`${prefix}/l/a/threshold`)).toMatchObject({ product: 'bolt', threshold: 1.2, origin: 'config' });
    const recipe = { kind: 'recipe' as const, topic: `${prefix}/l/recipe`, names: { line: 'l' } };
    expect(line.commands.recipe.apply(recipe, { product: 'nut' }, op)).toMatchObject({ ok: true, inForce: { product: 'nut', cameras: { a: 'nut' } } });
    expect(echoes.get(`${prefix}/l/a/threshold`)).toMatchObject({ product: 'nut', threshold: 0.9, origin: 'config' });
    expect(logs.filter((l) => l.msg === 'threshold in force changed' && l.camera === 'a').at(-1)).toMatchObject({ level: 'info', because: 'recipe', by: 'op', threshold: 0.9, origin: 'config', was: { product: 'bolt', threshold: 1.2, origin: 'config' } });
    expect(line.commands.recipe.apply(recipe, { product: 'bolt' }, op)).toMatchObject({ ok: true });
    expect(echoes.get(`${prefix}/l/a/threshold`)).toMatchObject({ product: 'bolt', threshold: 1.2, origin: 'config' });
    // the retained recipe delivered again (a reconnect, a subscription made again): in force, nothing changed
    const changes = logs.filter((l) => l.msg === 'recipe changed').length;
    expect(line.commands.recipe.apply(recipe, { product: 'bolt' }, { ...op, by: 'someone else' })).toMatchObject({ ok: true, inForce: { product: 'bolt', cameras: { a: 'bolt' } } });
    expect(logs.filter((l) => l.msg === 'recipe changed').length).toBe(changes);
  });

  it('should refuse a product the model does not know in the config as over MQTT, unless allowed with its own threshold', () => {
    const gizmo = { id: 'a', line: 'l', product: 'gizmo', source: 'test:white' };
    expect(() => control([gizmo], () => v1)).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_PRODUCT', message: expect.stringMatching(/^camera a: the model tiny@1\.0\.0 does not know the product "gizmo" \(it knows bolt, nut\); .*allowUnknownProduct: true/) }),
    );
    expect(() => control([{ ...gizmo, product: 'bolt', thresholds: { gizmo: 3 } }], () => v1)).toThrow(expect.objectContaining({ code: 'UNKNOWN_PRODUCT' }));
    const allowed = control([{ ...gizmo, allowUnknownProduct: true, threshold: 3 }], () => v1);
    expect(allowed.echoes.get(`${prefix}/l/a/threshold`)).toMatchObject({ product: 'gizmo', threshold: 3, origin: 'config' });
    expect(() => parseConfig({ ...lineConfigDoc('/tmp/x'), cameras: [{ ...gizmo, allowUnknownProduct: true }] })).toThrow(/cameras\[0\]\.allowUnknownProduct: needs the camera's threshold for "gizmo"/);
  });

  it("should warn of a configured threshold off the model's scale", () => {
    control([{ id: 'a', line: 'l', product: 'bolt', source: 'test:white', threshold: 42 }], () => v1);
    expect(logs.find((l) => l.msg.startsWith("a camera's configured threshold is off the model's scale"))).toMatchObject({ level: 'warn', camera: 'a', product: 'bolt', threshold: 42, scale: '0.05 to 5' });
  });

  it('should not obey a live thresholds file with a value out of bounds: that set is logged and left out', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'uniad-live-file-'));
    const set = (threshold: number, camera: string) => ({ camera, product: 'bolt', model: 'tiny@1.0.0', threshold, by: 'op', verified: true, at: 1 });
    writeFileSync(join(stateDir, 'live-thresholds.json'), JSON.stringify({ sets: [set(1e300, 'a'), set(1.5, 'b')] }));
    const cfg = parseConfig(lineConfigDoc(stateDir));
    const echoes = new Map<string, Record<string, unknown>>();
    new LineControl({ cfg, publishRetained: (t, p) => void echoes.set(t, JSON.parse(p)), model: () => v1, logger }).publish();
    expect(logs.find((l) => l.msg.startsWith('a live threshold was not restored'))).toMatchObject({ level: 'error', set: 0, error: expect.stringContaining('1e+300 is outside 1e-9 to 1e9') });
    expect(echoes.get(`${prefix}/l/a/threshold`)).toMatchObject({ threshold: 0.5, origin: 'model' });
    expect(echoes.get(`${prefix}/l/b/threshold`)).toMatchObject({ threshold: 1.5, origin: 'live' });
  });
});
