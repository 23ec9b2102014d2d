/**
 * Operator feedback through the running service and its embedded broker with accounts: an `operator` marks a reject
 * the service archived as a false reject and its frame joins the product's good images, with an audit record naming
 * the account the broker authenticated; a `viewer`'s feedback never reaches the service; a verdict the archive does
 * not hold, and a node that does not take feedback, are answered with why. Real capture, inference and broker. Tiny
 * model: white frames score 1.0 against bolt's threshold 0.5, so every part is an anomaly reject.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { feedbackLog } from '../../src/collect/feedback.js';
import { parseConfig } from '../../src/config.js';
import { findEvidence } from '../../src/evidence/archive.js';
import { createLogger } from '../../src/log.js';
import { startService, type Service } from '../../src/service.js';
import type { CommandResult } from '../../src/service/command-registry.js';
import { statePaths } from '../../src/state-dir.js';
import type { Verdict } from '../../src/types.js';
import { tinyModels } from '../setup/tiny-model.js';
import { subscribe, type Subscriber } from '../support/subscriber.js';

const prefix = 'uniad/fb';
const op = { username: 'op', password: 'op-secret', role: 'operator' as const };
const viewer = { username: 'wall', password: 'wall-secret', role: 'viewer' as const };

function lineConfig(stateDir: string, extra: Record<string, unknown> = {}) {
  return parseConfig({
    site: 'fb',
    node: 'fb',
    stateDir,
    cameras: [{ id: 'a', line: 'l', product: 'bolt', source: 'test:white', fps: 10 }],
    model: { path: tinyModels.ok, providers: ['cpu'], batchMaxSize: 4, batchMaxWaitMs: 20 },
    mqtt: { prefix, queue: { store: 'memory' } },
    embeddedBroker: { port: 0, wsPort: 0, users: [op, viewer] },
    dashboard: { enabled: false },
    ...extra,
  });
}

const logs: { msg: string; [k: string]: unknown }[] = [];
const logger = createLogger('info', 'test', (line) => void logs.push(JSON.parse(line)));
const topic = `${prefix}/l/a/feedback`;

async function resultOf(sub: Subscriber, requestId: string): Promise<CommandResult> {
  const find = () => sub.json<CommandResult>('l/a/feedback/result').find((r) => r.requestId === requestId);
  await expect.poll(find, { timeout: 15_000, interval: 50, message: `no result for ${requestId} on ${topic}/result` }).toBeDefined();
  return find()!;
}

/** The ids of `n` rejects whose evidence the archive has written. */
async function archivedRejects(sub: Subscriber, archive: string, n: number): Promise<string[]> {
  const ids = () => sub.json<Verdict>('l/a/verdict').filter((v) => v.reject && findEvidence(archive, v.id) !== undefined).map((v) => v.id);
  await expect.poll(() => ids().length, { timeout: 30_000, interval: 100, message: 'no archived rejects' }).toBeGreaterThanOrEqual(n);
  return ids().slice(0, n);
}

describe('operator feedback on the embedded broker', () => {
  let service: Service | undefined;
  const clients: (MqttClient | Subscriber)[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await ('endAsync' in c ? c.endAsync(true) : c.close());
    await service?.stop('test end');
    service = undefined;
  });

  it("should take an operator's false reject into the dataset with an audit record, and never a viewer's", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'uniad-fb-'));
    const cfg = lineConfig(stateDir);
    expect(cfg.dataset).toBe(join(stateDir, 'dataset'));
    service = await startService(cfg, { logger });
    const url = service.brokerUrl!;
    const sub = await subscribe(url, [`${prefix}/#`], { username: viewer.username, password: viewer.password });
    const ops = await mqtt.connectAsync(url, { protocolVersion: 4, username: op.username, password: op.password });
    const wall = await mqtt.connectAsync(url, { protocolVersion: 4, username: viewer.username, password: viewer.password });
    clients.push(sub, ops, wall);
    const [first, second] = await archivedRejects(sub, statePaths(stateDir).archive, 2);

    await ops.publishAsync(topic, JSON.stringify({ verdictId: first, kind: 'false-reject', requestId: 'fr1', by: 'claimed' }), { qos: 1 });
    const good = join(cfg.dataset, 'bolt/train/good/0001.png');
    expect(await resultOf(sub, 'fr1')).toMatchObject({ command: 'feedback', result: 'accepted', by: 'op', inForce: { verdictId: first, kind: 'false-reject', product: 'bolt', file: good } });
    expect(readFileSync(good)).toEqual(readFileSync(join(findEvidence(statePaths(stateDir).archive, first!)!, 'frame.png')));
    const [record] = readFileSync(feedbackLog(cfg.dataset), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(record).toMatchObject({ by: 'op', verified: true, verdictId: first, kind: 'false-reject', product: 'bolt', camera: 'a', threshold: 0.5, file: good });
    expect(logs.find((l) => l.msg === 'operator feedback taken into the dataset')).toMatchObject({ verdictId: first, by: 'op', sender: 'authenticated by the embedded broker' });

    // a viewer may not: the broker refuses the publish, the service never sees it
    wall.publish(topic, JSON.stringify({ verdictId: second, kind: 'false-reject', requestId: 'wall' }), { qos: 1 });
    await expect.poll(() => logs.some((l) => l.msg.startsWith('embedded broker: refused a publish') && l.role === 'viewer'), { timeout: 10_000 }).toBe(true);
    // the operator's next command is answered after anything the viewer's could have caused
    await ops.publishAsync(topic, JSON.stringify({ verdictId: `a:nosuch:1`, kind: 'false-reject', requestId: 'gone' }), { qos: 1 });
    expect(await resultOf(sub, 'gone')).toMatchObject({ result: 'refused', reason: expect.stringMatching(/^verdict "a:nosuch:1" is not in the evidence archive/) });
    expect(sub.json<CommandResult>('l/a/feedback/result').map((r) => r.requestId)).toEqual(['fr1', 'gone']);
    expect(readdirSync(join(cfg.dataset, 'bolt/train/good'))).toEqual(['0001.png']);

    // a second feedback on the same verdict, and a bad kind: refused with why
    await ops.publishAsync(topic, JSON.stringify({ verdictId: first, kind: 'missed-defect', requestId: 'again' }), { qos: 1 });
    expect(await resultOf(sub, 'again')).toMatchObject({ result: 'refused', reason: expect.stringContaining(`verdict "${first}" has feedback already: false-reject by op`) });
    await ops.publishAsync(topic, JSON.stringify({ verdictId: second, kind: 'bad', requestId: 'kind' }), { qos: 1 });
    expect(await resultOf(sub, 'kind')).toMatchObject({ result: 'refused', reason: '"kind" must be "false-reject" or "missed-defect", got "bad"' });
  });

  it('should refuse feedback where the archive is off, and where the config turns feedback off', async () => {
    for (const [extra, why] of [
      [{ archive: { enabled: false } }, 'the evidence archive is off (archive.enabled: false): no frame is kept to learn from'],
      [{ mqtt: { prefix, queue: { store: 'memory' }, commands: { feedback: false } } }, 'this node does not take feedback commands (mqtt.commands in its config)'],
    ] as const) {
      const stateDir = mkdtempSync(join(tmpdir(), 'uniad-fb-off-'));
      service = await startService(lineConfig(stateDir, extra), { logger });
      const sub = await subscribe(service.brokerUrl!, [`${prefix}/#`], { username: viewer.username, password: viewer.password });
      const ops = await mqtt.connectAsync(service.brokerUrl!, { protocolVersion: 4, username: op.username, password: op.password });
      await ops.publishAsync(topic, JSON.stringify({ verdictId: 'a:s:1', kind: 'false-reject', requestId: 'off' }), { qos: 1 });
      expect(await resultOf(sub, 'off')).toMatchObject({ result: 'refused', reason: why });
      expect(existsSync(join(stateDir, 'dataset'))).toBe(false);
      await ops.endAsync(true);
      await sub.close();
      await service.stop('test end');
      service = undefined;
    }
  });
});
