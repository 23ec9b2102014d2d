/**
 * Builds the fixtures every suite may use, once a run, into test/.fixtures (git-ignored): each helper listed here is
 * idempotent and skips work whose output exists. Gives the run its own state folder and fails it if the machine's
 * own state folder changed meanwhile (machine-state.ts).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machineStateDirs, snapshotState, stateChanges } from './machine-state.js';
import { fixturesDir } from './paths.js';
import { buildTinyModels } from './tiny-model.js';
import { buildTestVideo } from './video.js';

export default async function setup(): Promise<() => void> {
  const watched = machineStateDirs();
  const before = snapshotState(watched);
  // Inherited by every test process and every service a test spawns: a config without stateDir lands here.
  const stateDir = mkdtempSync(join(tmpdir(), 'uniad-test-state-'));
  process.env.STATE_DIRECTORY = stateDir;
  mkdirSync(fixturesDir, { recursive: true });
  buildTinyModels();
  await buildTestVideo();
  return () => {
    rmSync(stateDir, { recursive: true, force: true });
    const changed = stateChanges(before, snapshotState(watched));
    if (changed.length > 0) {
      throw new Error(`the test run changed the machine's own state folder (${watched.join(', ')}); no test may touch it:\n${changed.slice(0, 20).join('\n')}${changed.length > 20 ? `\n… ${changed.length - 20} more` : ''}`);
    }
  };
}
