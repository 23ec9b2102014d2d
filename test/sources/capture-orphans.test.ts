import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tsxUrls } from '../../src/entry.js';
import type { SourceSpec } from '../../src/sources/uri.js';
import { startRtspServer, type RtspServer } from '../support/rtsp.js';
import { testVideo } from '../setup/video.js';

const parentScript = fileURLToPath(new URL('../support/capture-parent.ts', import.meta.url));

/** Gone, or a zombie nobody reaps: either way it holds no camera. */
function isRunning(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(stat, 'utf8'));
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts a parent capturing `specs`, waits for one capture process per camera, SIGKILLs the parent, returns the children. */
async function killParentOf(specs: SourceSpec[]): Promise<number[]> {
  const parent = spawn(process.execPath, ['--import', tsxUrls().loader, parentScript, JSON.stringify(specs)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const pids: number[] = [];
  let stderr = '';
  parent.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  parent.stdout.setEncoding('utf8').on('data', (text: string) => {
    for (const [, pid] of text.matchAll(/^STARTED (\d+)$/gm)) pids.push(Number(pid));
  });
  const exited = new Promise<void>((resolve) => parent.once('exit', () => resolve()));
  try {
    await until(() => pids.length >= specs.length, 60_000, () => `${specs.length} capture processes (parent stderr: ${stderr.slice(-2000)})`);
    // Let them stream for a moment: a child blocked in a pull or a pipe write must notice too.
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    parent.kill('SIGKILL');
    await exited;
  }
  return pids;
}

describe('capture processes whose parent was SIGKILLed', () => {
  let server: RtspServer;
  beforeAll(async () => {
    server = await startRtspServer(testVideo.path);
  });
  afterAll(() => server?.stop());

  it('should all exit by themselves, releasing their cameras (test sources, file, RTSP)', async () => {
    // Several at once: the exit hang this guards against was a race, caught by about one run in three with 9 children.
    const specs: SourceSpec[] = [
      ...Array.from({ length: 4 }, (): SourceSpec => ({ kind: 'test', pattern: 'ball' })),
      { kind: 'file', path: testVideo.path },
      { kind: 'rtsp', uri: server.url },
    ];
    const pids = await killParentOf(specs);
    try {
      // Generous: a loaded machine takes seconds to schedule them; what matters is that none stays.
      await until(() => pids.every((pid) => !isRunning(pid)), 30_000, () => `capture processes ${pids.filter(isRunning).join(', ')} to exit`);
    } finally {
      for (const pid of pids.filter(isRunning)) process.kill(pid, 'SIGKILL');
    }
    expect(pids.filter(isRunning)).toEqual([]);
  });
});
