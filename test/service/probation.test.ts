/**
 * A promoted model that rejects every part, in the service started in this process: promoted as `uniad-edge models
 * promote` does (the registry's active version written, then the reload that SIGHUP runs), it trips the reject-rate
 * guard within its window and the service returns to the config's own model by itself, saying why on the status and
 * in the registry's history; the verdict ids go on without a gap or a repeat.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { addModel } from '../../src/registry/add.js';
import { readRegistry, writeRegistry } from '../../src/registry/store.js';
import { promoted } from '../../src/registry/transitions.js';
import { startService } from '../../src/service.js';
import { statePaths } from '../../src/state-dir.js';
import type { Verdict } from '../../src/types.js';
import { tinyVersion } from '../support/registry-models.js';
import { subscribe } from '../support/subscriber.js';

describe('probation in the service', () => {
  it('should roll a model that rejects everything back to the config model within its window', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uniad-probation-'));
    // white frames score 1.0: the config model (bolt 1.5) passes them, 3.0.0 (bolt 0.5) rejects them all
    const lenient = tinyVersion(join(dir, 'config'), '1.5.0', undefined, undefined, { thresholds: { bolt: 1.5, nut: 1.5 }, defaultThreshold: 1.5 });
    const strict = tinyVersion(join(dir, 'new'), '3.0.0', undefined, undefined, { thresholds: { bolt: 0.5, nut: 0.5 }, defaultThreshold: 0.5 });
    const cfg = parseConfig({
      node: 'prob',
      stateDir: join(dir, 'state'),
      cameras: [{ id: 'cam1', line: 'line1', product: 'bolt', source: 'test:white', fps: 20 }],
      model: { path: lenient, providers: ['cpu'], batchMaxSize: 2, batchMaxWaitMs: 10 },
      mqtt: { queue: { store: 'memory' } },
      embeddedBroker: { port: 0, wsPort: 0 },
      dashboard: { enabled: false },
      registry: { probation: { seconds: 60, maxRejectRate: 0.2, minFrames: 10 } },
    });
    const models = statePaths(cfg.stateDir).models;
    await addModel(models, strict, { by: 'ann' });
    const logs: { msg: string; [k: string]: unknown }[] = [];
    const service = await startService(cfg, { logger: createLogger('info', 'test', (line) => void logs.push(JSON.parse(line))) });
    const sub = await subscribe(service.brokerUrl!, ['uniad/site/#']);
    try {
      const verdicts = () => sub.json<Verdict>('verdict');
      await expect.poll(() => verdicts().length, { timeout: 30_000, message: 'verdicts of the config model' }).toBeGreaterThanOrEqual(5);
      writeRegistry(models, promoted(readRegistry(models), '3.0.0', 'ann', new Date()));
      expect(await service.reload(cfg)).toBe(true);

      const rolledBack = () => sub.json<{ state: string; causes?: { code: string; message: string }[] }>('status/prob').flatMap((s) => s.causes ?? []).find((c) => c.code === 'MODEL_ROLLED_BACK');
      await expect.poll(rolledBack, { timeout: 30_000, message: 'MODEL_ROLLED_BACK on the status' }).toBeDefined();
      expect(rolledBack()!.message).toMatch(/^model registry: 3\.0\.0 was rolled back to the config's model\.path by itself within its probation: reject rate 100\.0 % over 10 frames \(registry\.probation\.maxRejectRate 20\.0 %\)/);
      expect(logs.find((l) => l.msg === 'the promoted model tripped a probation guard: rolling back')).toMatchObject({ version: '3.0.0', to: "the config's model.path", cause: expect.stringMatching(/^reject rate 100\.0 %/) });
      const doc = readRegistry(models);
      expect(doc).toMatchObject({ active: null, previous: [] });
      expect(doc.history.at(-1)).toMatchObject({ action: 'rollback', version: null, from: '3.0.0', by: 'uniad-edge (probation)' });
      const strictAt = verdicts().findIndex((v) => v.model === 'tiny@3.0.0');
      expect(verdicts()[strictAt]).toMatchObject({ reject: true, reason: 'anomaly' });
      await expect.poll(() => verdicts().slice(strictAt).filter((v) => v.model === 'tiny@1.5.0').length, { timeout: 30_000, message: 'the config model again' }).toBeGreaterThanOrEqual(5);
    } finally {
      await service.stop('test end');
      await sub.close();
    }
    const ids = sub.json<Verdict>('verdict').map((v) => v.id);
    expect(new Set(ids).size).toBe(ids.length);
    const seqs = sub.json<Verdict>('verdict').map((v) => v.seq).sort((a, b) => a - b);
    expect(seqs.at(-1)! - seqs[0]! + 1).toBe(seqs.length);
  }, 90_000);
});
