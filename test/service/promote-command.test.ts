/**
 * The `promote` command (`<prefix>/model/promote`, operator only): the shadow model becomes the live one through the
 * model registry and the all-or-nothing reload, answered on its result topic once applied; verdict ids go on without
 * a gap or a repeat, and a model that behaves passes its probation. Real capture process, inference workers and embedded broker with accounts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { readRegistry } from '../../src/registry/store.js';
import { startService } from '../../src/service.js';
import type { CommandResult } from '../../src/service/command-registry.js';
import { statePaths } from '../../src/state-dir.js';
import type { Verdict } from '../../src/types.js';
import { tinyModels } from '../setup/tiny-model.js';
import { tinyVersion } from '../support/registry-models.js';
import { subscribe, type Received } from '../support/subscriber.js';

const prefix = 'uniad/prom';
const op = { username: 'op', password: 'op-secret', role: 'operator' as const };
const viewer = { username: 'wall', password: 'wall-secret', role: 'viewer' as const };

/** The live model's verdicts, not the shadow model's (`…/shadow/verdict`). */
const liveVerdicts = (messages: readonly Received[]) => messages.filter((m) => !m.topic.endsWith('/shadow/verdict')).map((m) => JSON.parse(m.payload.toString()) as Verdict);

describe('the promote command', () => {
  it("should make the shadow model live when an operator asks, answer with the version in force, and keep every verdict id", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uniad-promote-cmd-'));
    const cfg = parseConfig({
      node: 'prom',
      stateDir: join(dir, 'state'),
      cameras: [{ id: 'cam1', line: 'line1', product: 'bolt', source: 'test:white', fps: 20, threshold: 1.2 }],
      model: { path: tinyModels.ok, providers: ['cpu'], batchMaxSize: 2, batchMaxWaitMs: 10 },
      shadow: { path: tinyVersion(join(dir, 'candidate'), '2.0.0'), providers: ['cpu'] },
      mqtt: { prefix, queue: { store: 'memory' } },
      embeddedBroker: { port: 0, wsPort: 0, users: [op, viewer] },
      dashboard: { enabled: false },
      registry: { probation: { seconds: 5 } },
    });
    const service = await startService(cfg, { logger: silentLogger });
    const sub = await subscribe(service.brokerUrl!, [`${prefix}/#`], { username: viewer.username, password: viewer.password });
    const operator = await mqtt.connectAsync(service.brokerUrl!, { username: op.username, password: op.password });
    const wall = await mqtt.connectAsync(service.brokerUrl!, { username: viewer.username, password: viewer.password });
    try {
      const live = () => liveVerdicts(sub.on('verdict'));
      await expect.poll(() => live().length, { timeout: 30_000, message: 'verdicts of the config model' }).toBeGreaterThanOrEqual(5);

      // QoS 0: the broker drops a publish the account may not make, with no acknowledgement to wait for
      await wall.publishAsync(`${prefix}/model/promote`, JSON.stringify({ requestId: 'from-viewer' }), { qos: 0 });
      await operator.publishAsync(`${prefix}/model/promote`, JSON.stringify({ requestId: 'p1' }), { qos: 1 });
      const results = () => sub.json<CommandResult>('model/promote/result');
      await expect.poll(() => results().find((r) => r.requestId === 'p1'), { timeout: 30_000, message: 'no result for p1' }).toBeDefined();
      expect(results().find((r) => r.requestId === 'p1')).toMatchObject({ command: 'promote', result: 'accepted', by: 'op', inForce: { version: '2.0.0', model: 'tiny@2.0.0' } });
      // the broker dropped the viewer's command: the service never saw it
      expect(results().map((r) => r.requestId)).toEqual(['p1']);
      const doc = readRegistry(statePaths(cfg.stateDir).models);
      expect(doc).toMatchObject({ active: '2.0.0', previous: [null] });
      expect(doc.history.at(-1)).toMatchObject({ action: 'promote', version: '2.0.0', by: 'op (mqtt)' });
      await expect.poll(() => live().filter((v) => v.model === 'tiny@2.0.0').length, { timeout: 30_000, message: 'verdicts of 2.0.0' }).toBeGreaterThanOrEqual(5);

      await operator.publishAsync(`${prefix}/model/promote`, JSON.stringify({ requestId: 'p2', version: '1.0.0' }), { qos: 1 });
      await expect.poll(() => results().find((r) => r.requestId === 'p2'), { timeout: 15_000, message: 'no result for p2' }).toBeDefined();
      expect(results().find((r) => r.requestId === 'p2')).toMatchObject({ result: 'refused', reason: expect.stringContaining('it takes no fields'), inForce: { version: '2.0.0' } });

      // registry.probation.seconds 5: a model that passes its white frames passes its probation
      const passed = () => readRegistry(statePaths(cfg.stateDir).models).history.find((e) => e.action === 'probation passed');
      await expect.poll(passed, { timeout: 15_000, message: 'no "probation passed" in the history' }).toBeDefined();
      expect(passed()).toMatchObject({ version: '2.0.0', by: 'uniad-edge (probation)', cause: expect.stringMatching(/^\d+ frames, 0 rejects, 0 non-finite, 0 inference errors$/) });
    } finally {
      await operator.endAsync();
      await wall.endAsync();
      await service.stop('test end');
      await sub.close();
    }
    const verdicts = liveVerdicts(sub.on('verdict'));
    const ids = verdicts.map((v) => v.id);
    expect(new Set(ids).size).toBe(ids.length);
    const seqs = verdicts.map((v) => v.seq).sort((a, b) => a - b);
    expect(seqs.at(-1)! - seqs[0]! + 1).toBe(seqs.length);
  }, 90_000);
});
