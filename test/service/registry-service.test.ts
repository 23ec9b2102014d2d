/**
 * Models on the box with the service running as in production (`uniad-edge run`, a child process): versions added
 * with `uniad-edge models add`, promoted with `models promote` (SIGHUP, the all-or-nothing reload, no restart), a
 * version that does not load refused with the registry put back, and a promoted model that gives NaN rolled back by
 * the service itself within its probation window, the status and the log saying why. An independent MQTT
 * subscriber counts the verdict ids across all of it: none lost, none duplicated.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readRegistry } from '../../src/registry/store.js';
import { statePaths } from '../../src/state-dir.js';
import type { Verdict } from '../../src/types.js';
import { startServiceProcess, writeConfig } from '../faults/service-process.js';
import { repoRoot } from '../setup/paths.js';
import { tinyModels } from '../setup/tiny-model.js';
import { freePort } from '../support/free-port.js';
import { tinyVersion } from '../support/registry-models.js';
import { subscribe } from '../support/subscriber.js';

const bin = join(repoRoot, 'bin/uniad-edge.js');

/** `uniad-edge models …` on the state folder; its exit code and output. */
async function models(stateDir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, 'models', ...args, '--state-dir', stateDir, '--by', 'ann', '--wait', '60']);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Polls `get` until it gives a value, or fails after `ms` saying what it waited for. */
async function until<T>(what: string, ms: number, get: () => T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = get();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('models on the box, with the service running', () => {
  it('should promote without a restart, and refuse a model that does not load or gives NaN, the live model staying', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uniad-registry-svc-'));
    const stateDir = join(dir, 'state');
    const port = await freePort();
    // white frames score 1.0 under every tiny model: below the camera's 1.2, so a working model passes them all
    const config = writeConfig(dir, 'config.yaml', {
      node: 'edge',
      stateDir,
      cameras: [{ id: 'cam1', line: 'line1', product: 'bolt', source: 'test:white', fps: 20, threshold: 1.2 }],
      model: { path: tinyModels.ok, providers: ['cpu'], batchMaxSize: 2, batchMaxWaitMs: 10 },
      mqtt: { queue: { store: 'memory' } },
      embeddedBroker: { port, wsPort: 0 },
      dashboard: { enabled: false },
      registry: { probation: { seconds: 60 } },
    });
    for (const [version, from] of [['2.0.0', tinyModels.ok], ['3.0.0-nan', tinyModels.nan], ['4.0.0', tinyModels.ok]] as const) {
      const added = await models(stateDir, 'add', tinyVersion(join(dir, 'models'), version, from));
      expect(added, added.stderr).toMatchObject({ code: 0 });
    }
    // 4.0.0's file is lost from the registry after it was added: a promotion to it cannot load
    rmSync(join(statePaths(stateDir).models, '4.0.0', 'tiny-4.0.0.onnx'));

    const service = startServiceProcess(config, dir);
    try {
      await service.waitForLog('mqtt broker', 30_000);
      const subscriber = await subscribe(`mqtt://127.0.0.1:${port}`, ['uniad/site/#']);
      const verdicts = () => subscriber.json<Verdict>('verdict');
      const byModel = (model: string) => verdicts().filter((v) => v.model === model);
      await until('verdicts of the config model', 30_000, () => (byModel('tiny@1.0.0').length >= 5 ? true : undefined));

      const first = await models(stateDir, 'promote', '2.0.0');
      expect(first, first.stderr).toMatchObject({ code: 0, stderr: expect.stringContaining('the service runs 2.0.0') });
      await until('verdicts of 2.0.0', 30_000, () => (byModel('tiny@2.0.0').length >= 5 ? true : undefined));

      const lost = await models(stateDir, 'promote', '4.0.0');
      expect(lost.code).toBe(1);
      expect(lost.stderr).toMatch(/4\.0\.0 was not promoted: reload refused, the old model and settings stay: the new model did not load or failed its check: .*tiny-4\.0\.0\.onnx/);
      expect(readRegistry(statePaths(stateDir).models)).toMatchObject({ active: '2.0.0', previous: [null] });
      expect(readRegistry(statePaths(stateDir).models).history.at(-1)).toMatchObject({ action: 'refused', version: '4.0.0', by: 'ann' });

      // a config broken since the service started: the SIGHUP's reload is refused, and the promotion hears why at once
      const good = readFileSync(config, 'utf8');
      writeFileSync(config, `${good}\nbogus: 1\n`);
      const broken = await models(stateDir, 'promote', '3.0.0-nan');
      expect(broken.code).toBe(1);
      expect(broken.stderr).toMatch(/3\.0\.0-nan was not promoted: the config is invalid: .*bogus/);
      expect(readRegistry(statePaths(stateDir).models)).toMatchObject({ active: '2.0.0' });
      writeFileSync(config, good);

      // a model whose output is not finite on the check's test frames never becomes live: the reload runs the check
      // (service/model.ts checkedModelOpener) before the swap; the probation's rollback is test/service/probation.test.ts
      const nan = await models(stateDir, 'promote', '3.0.0-nan');
      expect(nan.code).toBe(1);
      expect(nan.stderr).toMatch(/3\.0\.0-nan was not promoted: reload refused, .*not a finite number on a test frame/);
      expect(readRegistry(statePaths(stateDir).models)).toMatchObject({ active: '2.0.0', previous: [null] });
      expect(readRegistry(statePaths(stateDir).models).history.at(-1)).toMatchObject({ action: 'refused', version: '3.0.0-nan' });
      await until('verdicts of 2.0.0 after the refusal', 30_000, () => (byModel('tiny@2.0.0').length >= 10 ? true : undefined));
      const list = await models(stateDir, 'list');
      expect(list.stdout).toMatch(/\| 2\.0\.0 \| active, live \| tiny \|/);
      expect(verdicts().filter((v) => v.reason === 'error')).toEqual([]);

      const exit = await service.stop();
      expect(exit.code).toBe(0);
      await subscriber.close();
      // one service run, one camera: ids cam1:<run>:<seq>, every seq once, none missing from the first to the last
      const ids = verdicts().map((v) => v.id);
      expect(new Set(ids).size).toBe(ids.length);
      const runs = new Set(ids.map((id) => id.split(':')[1]));
      expect(runs.size).toBe(1);
      const seqs = verdicts().map((v) => v.seq).sort((a, b) => a - b);
      expect(seqs.at(-1)! - seqs[0]! + 1).toBe(seqs.length);
      expect(new Set(verdicts().map((v) => v.model))).toEqual(new Set(['tiny@1.0.0', 'tiny@2.0.0']));
    } finally {
      await service.stop();
    }
  }, 240_000);
});
