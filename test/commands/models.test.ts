/** `uniad-edge models` as a person types it (bin/uniad-edge.js, from dist/ when built): the listing, its usage errors, a second promotion refused. */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { registryFiles } from '../../src/registry/store.js';
import { statePaths } from '../../src/state-dir.js';
import { repoRoot } from '../setup/paths.js';
import { tinyVersion } from '../support/registry-models.js';

const bin = join(repoRoot, 'bin/uniad-edge.js');

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('uniad-edge models', () => {
  it('should add a model and list it with its hashes, metrics and who added it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uniad-models-cli-'));
    const state = join(dir, 'state');
    expect((await cli('models', 'list', '--state-dir', state)).stdout).toContain('| (none: uniad-edge models add MODEL.onnx) |');
    const added = await cli('models', 'add', tinyVersion(dir, '2.0.0'), '--state-dir', state, '--by', 'ann');
    expect(added, added.stderr).toMatchObject({ code: 0, stderr: expect.stringMatching(/^uniad-edge: added 2\.0\.0 \(tiny, sha256 [0-9a-f]{64}\)/) });
    const promoted = await cli('models', 'promote', '2.0.0', '--state-dir', state, '--by', 'bob');
    expect(promoted.stderr).toContain('2.0.0 is active; no service runs on');
    const { stdout } = await cli('models', 'list', '--state-dir', state);
    expect(stdout).toMatch(/^Active: 2\.0\.0 \(no service has reported what it runs\)\.\nA rollback returns to the config's model\.path\./);
    expect(stdout).toMatch(/\| 2\.0\.0 \| active \| tiny \| [0-9a-f]{12} \| dddddddddddd \| 91\.5 \/ 88\.0 \| ann \S+ \| bob \S+ \|/);
  });

  it('should refuse a promotion while another runs, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uniad-models-lock-'));
    const state = join(dir, 'state');
    mkdirSync(statePaths(state).models, { recursive: true });
    const other = spawn('sleep', ['30']);
    try {
      writeFileSync(registryFiles(statePaths(state).models).lock, JSON.stringify({ version: '2.0.0', by: 'ann', pid: other.pid, since: '2026-12-01T10:00:00.000Z' }));
      const second = await cli('models', 'rollback', '--state-dir', state);
      expect(second).toMatchObject({ code: 1, stderr: expect.stringContaining(`uniad-edge: model registry: a promotion of 2.0.0 by ann (PID ${other.pid}, since 2026-12-01T10:00:00.000Z) is running; one promotion at a time`) });
    } finally {
      other.kill();
    }
  });

  it('should name what an action needs or does not take', async () => {
    expect(await cli('models', 'promote')).toMatchObject({ code: 2, stderr: expect.stringContaining('"models promote" needs VERSION') });
    expect(await cli('models', 'list', 'x')).toMatchObject({ code: 2, stderr: expect.stringContaining('"models list" takes no argument, got "x"') });
    expect(await cli('models', 'remove')).toMatchObject({ code: 2, stderr: expect.stringContaining('models takes list, add, promote, rollback, got "remove"') });
    expect(await cli('models')).toMatchObject({ code: 2, stderr: expect.stringContaining('"models" needs ACTION') });
  });
});
