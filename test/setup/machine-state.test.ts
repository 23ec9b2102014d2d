import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveStateDir } from '../../src/state-dir.js';
import { machineStateDirs, snapshotState, stateChanges } from './machine-state.js';

const dir = mkdtempSync(join(tmpdir(), 'uniad-machine-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the machine's state folder during a test run", () => {
  it('should be a temporary folder of the run for anything that does not name its own', () => {
    const resolved = resolveStateDir();
    expect(machineStateDirs()).not.toContain(resolved);
    expect(resolved.startsWith(join(tmpdir(), 'uniad-test-state-'))).toBe(true);
  });

  it('should name what appeared, vanished or changed under a watched folder', () => {
    const watched = join(dir, 'state');
    mkdirSync(join(watched, 'archive'), { recursive: true });
    writeFileSync(join(watched, 'kept'), 'x');
    writeFileSync(join(watched, 'gone'), 'x');
    const before = snapshotState([watched, join(dir, 'absent')]);
    expect(stateChanges(before, snapshotState([watched]))).toEqual([]);

    mkdirSync(join(watched, 'archive', '2026-12-06', 'a+run+0'), { recursive: true });
    rmSync(join(watched, 'gone'));
    writeFileSync(join(watched, 'kept'), 'longer');
    utimesSync(join(watched, 'kept'), new Date(0), new Date(1000));
    expect(stateChanges(before, snapshotState([watched]))).toEqual([
      `+ ${join(watched, 'archive', '2026-12-06')}`,
      `+ ${join(watched, 'archive', '2026-12-06', 'a+run+0')}`,
      `- ${join(watched, 'gone')}`,
      `~ ${watched}`,
      `~ ${join(watched, 'archive')}`,
      `~ ${join(watched, 'kept')}`,
    ]);
  });
});
