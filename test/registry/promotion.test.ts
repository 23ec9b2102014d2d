/**
 * Promote and rollback from the command line's side (src/registry/promotion.ts) without a service, and against a
 * process that holds the state folder's lock but never answers: the registry is put back and the refusal says why.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addModel } from '../../src/registry/add.js';
import { promoteVersion, rollbackVersion } from '../../src/registry/promotion.js';
import { readRegistry } from '../../src/registry/store.js';
import { statePaths } from '../../src/state-dir.js';
import { takeStateLock } from '../../src/state-lock.js';
import { tinyVersion } from '../support/registry-models.js';

async function stateWith(...versions: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'uniad-promotion-'));
  const state = join(dir, 'state');
  for (const v of versions) await addModel(statePaths(state).models, tinyVersion(join(dir, 'in'), v), { by: 'ann' });
  return state;
}

describe('promotion from the command line', () => {
  it('should make the version active for the next start when no service runs, and roll back to the one before', async () => {
    const state = await stateWith('2.0.0', '3.0.0');
    const said: string[] = [];
    expect(await promoteVersion(state, '2.0.0', { by: 'ann', waitMs: 1000, say: (l) => said.push(l) })).toEqual({ active: '2.0.0', live: false });
    expect(await promoteVersion(state, '3.0.0', { by: 'bob', waitMs: 1000 })).toEqual({ active: '3.0.0', live: false });
    expect(said).toEqual([`2.0.0 is active; no service runs on ${state}: it starts with it`]);
    expect(await rollbackVersion(state, { by: 'carl', waitMs: 1000 })).toEqual({ active: '2.0.0', live: false });
    expect(readRegistry(statePaths(state).models).history.map((e) => `${e.action} ${e.version} ${e.by}`)).toEqual(['add 2.0.0 ann', 'add 3.0.0 ann', 'promote 2.0.0 ann', 'promote 3.0.0 bob', 'rollback 2.0.0 carl']);
  });

  it('should put the registry back and say why when the service holding the state folder does not answer', async () => {
    const state = await stateWith('2.0.0');
    // a process named like the service that takes SIGHUP and never answers
    const mute = spawn(process.execPath, ['-e', "process.on('SIGHUP', () => {}); setInterval(() => {}, 1000)", 'uniad-edge'], { stdio: 'ignore' });
    const lock = takeStateLock(statePaths(state).lock, mute.pid);
    try {
      await new Promise((r) => setTimeout(r, 300));
      await expect(promoteVersion(state, '2.0.0', { by: 'ann', waitMs: 1500 })).rejects.toMatchObject({
        code: 'PROMOTION_REFUSED',
        message: `model registry: 2.0.0 was not promoted: the service (PID ${mute.pid}) did not answer within 1.5 s (its log says why: journalctl -u uniad-edge); the model that was live stays`,
      });
    } finally {
      lock.release();
      mute.kill();
    }
    const doc = readRegistry(statePaths(state).models);
    expect(doc).toMatchObject({ active: null, previous: [] });
    expect(doc.history.at(-1)).toMatchObject({ action: 'refused', version: '2.0.0', by: 'ann' });
  });
});
