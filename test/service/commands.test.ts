/**
 * Every operator command gets an answer (issue 20, items 2, 13 and 14), on the embedded broker with accounts: the
 * service answers each command on `<command topic>/result`, accepted with the value in force or refused with the
 * reason, with the request's `requestId`; it keeps the recipe in force retained on `recipe/current`; it refuses a
 * retained `threshold/set`, a threshold outside the bounds every threshold keeps or off the model's scale (unless
 * forced), and a command the config turns off. Real capture processes, inference worker and broker. Tiny model:
 * white frames score 1.0; sidecar thresholds bolt 0.5, nut 0.7, highest normal score 0.2 (scale 0.05 to 5).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startService, type Service } from '../../src/service.js';
import type { CommandResult } from '../../src/service/command-registry.js';
import type { Verdict } from '../../src/types.js';
import { tinyModels } from '../setup/tiny-model.js';
import { subscribe, type Subscriber } from '../support/subscriber.js';

const prefix = 'uniad/cmd';
const op = { username: 'op', password: 'op-secret', role: 'operator' as const };
const viewer = { username: 'wall', password: 'wall-secret', role: 'viewer' as const };

function lineConfig(stateDir: string, mqttExtra: Record<string, unknown> = {}) {
  return parseConfig({
    site: 'cmd',
    node: 'cmd',
    stateDir,
    cameras: [
      { id: 'a', line: 'l', product: 'bolt', source: 'test:white', fps: 20 },
      { id: 'b', line: 'l', product: 'bolt', source: 'test:white', fps: 20 },
    ],
    model: { path: tinyModels.ok, providers: ['cpu'], batchMaxSize: 4, batchMaxWaitMs: 20 },
    mqtt: { prefix, queue: { store: 'memory' }, ...mqttExtra },
    embeddedBroker: { port: 0, wsPort: 0, users: [op, viewer] },
    dashboard: { enabled: false },
  });
}

const logs: { msg: string; [k: string]: unknown }[] = [];
const logger = createLogger('info', 'test', (line) => void logs.push(JSON.parse(line)));

/** The result of the request `requestId` on `topic`'s result topic, waiting for it. */
async function resultOf(sub: Subscriber, topic: string, requestId: string): Promise<CommandResult> {
  const find = () => sub.json<CommandResult>(`${topic.slice(prefix.length + 1)}/result`).find((r) => r.requestId === requestId);
  await expect.poll(find, { timeout: 15_000, interval: 50, message: `no result for ${requestId} on ${topic}/result` }).toBeDefined();
  return find()!;
}

const send = (client: MqttClient, topic: string, doc: unknown, retain = false) => client.publishAsync(topic, typeof doc === 'string' ? doc : JSON.stringify(doc), { qos: 1, retain });

describe('operator commands and their results', () => {
  let service: Service | undefined;
  const clients: (MqttClient | Subscriber)[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await ('endAsync' in c ? c.endAsync(true) : c.close());
    await service?.stop('test end');
    service = undefined;
  });

  it('should answer every command on its result topic, accepted with the value in force or refused with the reason', async () => {
    service = await startService(lineConfig(mkdtempSync(join(tmpdir(), 'uniad-cmd-'))), { logger });
    const url = service.brokerUrl!;
    const sub = await subscribe(url, [`${prefix}/#`], { username: viewer.username, password: viewer.password });
    clients.push(sub);
    const ops = await mqtt.connectAsync(url, { protocolVersion: 4, username: op.username, password: op.password });
    clients.push(ops);
    const setA = `${prefix}/l/a/threshold/set`;

    // accepted: the value in force, who set it (the broker's account, not the claim), the request id echoed
    await send(ops, setA, { threshold: 1.5, requestId: 'r1', by: 'claimed' });
    expect(await resultOf(sub, setA, 'r1')).toMatchObject({ command: 'threshold', topic: setA, result: 'accepted', by: 'op', inForce: { camera: 'a', product: 'bolt', threshold: 1.5, origin: 'live', by: 'op' } });
    const msg = sub.on('l/a/threshold/set/result')[0]!;
    expect({ qos: msg.qos, retain: msg.retain }).toEqual({ qos: 1, retain: false });

    // the bounds every threshold keeps, and the model's own scale unless forced
    await send(ops, setA, { threshold: 1e300, requestId: 'huge' });
    await send(ops, setA, { threshold: 1e-300, requestId: 'tiny' });
    await send(ops, setA, { threshold: 40, requestId: 'off-scale' });
    for (const id of ['huge', 'tiny']) expect(await resultOf(sub, setA, id)).toMatchObject({ result: 'refused', reason: expect.stringContaining('"threshold" must be a number from 1e-9 to 1e9'), inForce: { threshold: 1.5 } });
    expect(await resultOf(sub, setA, 'off-scale')).toMatchObject({ result: 'refused', reason: expect.stringMatching(/^40 is off the model's scale for "bolt" \(0\.05 to 5: .*send "force": true/), inForce: { threshold: 1.5 } });
    await send(ops, setA, { threshold: 40, force: true, requestId: 'forced' });
    expect(await resultOf(sub, setA, 'forced')).toMatchObject({ result: 'accepted', inForce: { threshold: 40, origin: 'live' } });
    expect(logs.find((l) => l.msg === 'threshold changed' && l.threshold === 40)).toMatchObject({ forced: true, was: 1.5 });
    await verdictsWith(sub, 'a', (v) => v.threshold === 40 && v.reason === 'ok');

    // an unknown camera, a payload that is no command: answered on their own result topics
    await send(ops, `${prefix}/l/nosuch/threshold/set`, { threshold: 2, requestId: 'nosuch' });
    expect(await resultOf(sub, `${prefix}/l/nosuch/threshold/set`, 'nosuch')).toMatchObject({ result: 'refused', reason: expect.stringMatching(/^no camera "nosuch" on line "l"/) });
    await send(ops, `${prefix}/l/b/threshold/set`, 'forty-two');
    await expect.poll(() => sub.json<CommandResult>('l/b/threshold/set/result').find((r) => r.reason?.startsWith('not JSON')), { timeout: 15_000 }).toMatchObject({ command: 'threshold', result: 'refused', reason: 'not JSON; send {"threshold": 42.0}' });

    // a retained threshold/set is refused (it would be replayed at every reconnect) and b's threshold stays
    await send(ops, `${prefix}/l/b/threshold/set`, { threshold: 2, requestId: 'kept' }, true);
    expect(await resultOf(sub, `${prefix}/l/b/threshold/set`, 'kept')).toMatchObject({ result: 'refused', reason: expect.stringMatching(/^it was published retained/), inForce: { camera: 'b', threshold: 0.5, origin: 'model' } });
    const fresh = await subscribe(url, [`${prefix}/l/b/threshold/set`], { username: viewer.username, password: viewer.password });
    clients.push(fresh);
    await send(ops, `${prefix}/l/b/threshold/set`, { threshold: 0.6, requestId: 'after' });
    await fresh.waitFor(1, 'threshold/set');
    // the first message a new subscriber gets is the live one: the retained command was cleared from the broker
    expect(fresh.json<{ requestId?: string }>('threshold/set')[0]).toMatchObject({ requestId: 'after' });

    // the recipe: refused for an unknown product (the recipe in force stays), accepted for a known one, and kept
    // retained on recipe/current, where a subscriber that comes later learns it
    const recipe = `${prefix}/l/recipe`;
    await send(ops, recipe, { product: 'zzz', requestId: 'zzz' }, true);
    expect(await resultOf(sub, recipe, 'zzz')).toMatchObject({ command: 'recipe', result: 'refused', reason: expect.stringMatching(/^unknown product "zzz": the model tiny@1\.0\.0 knows bolt, nut/), inForce: { line: 'l', product: null, cameras: { a: 'bolt', b: 'bolt' } } });
    await send(ops, recipe, { product: 'nut', requestId: 'nut' }, true);
    expect(await resultOf(sub, recipe, 'nut')).toMatchObject({ result: 'accepted', inForce: { line: 'l', product: 'nut', cameras: { a: 'nut', b: 'nut' }, by: 'op' } });
    const later = await subscribe(url, [`${prefix}/l/recipe/current`], { username: viewer.username, password: viewer.password });
    clients.push(later);
    const [current] = await later.waitFor(1, 'recipe/current');
    expect(current!.retain).toBe(true);
    expect(JSON.parse(current!.payload.toString())).toMatchObject({ line: 'l', product: 'nut', cameras: { a: 'nut', b: 'nut' }, by: 'op' });
    // the change-over is logged for each camera with the threshold's origin: a's live set was for bolt
    expect(logs.find((l) => l.msg === 'threshold in force changed' && l.camera === 'a' && l.product === 'nut')).toMatchObject({ level: 'warn', threshold: 0.7, origin: 'model', because: 'recipe', was: { product: 'bolt', threshold: 40, origin: 'live' } });
  });

  it('should refuse the commands the config turns off, saying so', async () => {
    service = await startService(lineConfig(mkdtempSync(join(tmpdir(), 'uniad-cmd-off-')), { commands: { threshold: false } }), { logger });
    const url = service.brokerUrl!;
    const sub = await subscribe(url, [`${prefix}/#`], { username: viewer.username, password: viewer.password });
    clients.push(sub);
    const ops = await mqtt.connectAsync(url, { protocolVersion: 4, username: op.username, password: op.password });
    clients.push(ops);
    await send(ops, `${prefix}/l/a/threshold/set`, { threshold: 1.5, requestId: 'off' });
    expect(await resultOf(sub, `${prefix}/l/a/threshold/set`, 'off')).toMatchObject({ result: 'refused', reason: 'this node does not take threshold commands (mqtt.commands in its config)' });
    await send(ops, `${prefix}/l/recipe`, { product: 'nut', requestId: 'on' });
    expect(await resultOf(sub, `${prefix}/l/recipe`, 'on')).toMatchObject({ result: 'accepted' });
    await verdictsWith(sub, 'a', (v) => v.product === 'nut' && v.threshold === 0.7);
  });
});

async function verdictsWith(sub: Subscriber, camera: string, match: (v: Verdict) => boolean): Promise<void> {
  await expect.poll(() => sub.json<Verdict>('verdict').filter((v) => v.camera === camera && match(v)).length, { timeout: 20_000, interval: 50 }).toBeGreaterThan(2);
}
