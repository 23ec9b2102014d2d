import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tsxUrls } from '../../src/entry.js';
import type { SourceSpec } from '../../src/sources/uri.js';
import { startRtspServer, type RtspServer } from '../support/rtsp.js';
import { testVideo } from '../setup/video.js';
import { tinyModels } from '../setup/tiny-model.js';
import { startServiceProcess, writeConfig } from '../faults/service-process.js';

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

/** Waits (generously) for every pid to be gone; kills what is left so a failure leaves nothing behind. */
async function expectAllExit(pids: number[]): Promise<void> {
  try {
    // Generous: a loaded machine takes seconds to schedule them; what matters is that none stays.
    await until(() => pids.every((pid) => !isRunning(pid)), 30_000, () => `capture processes ${pids.filter(isRunning).join(', ')} to exit`);
  } finally {
    for (const pid of pids.filter(isRunning)) process.kill(pid, 'SIGKILL');
  }
  expect(pids.filter(isRunning)).toEqual([]);
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
    await expectAllExit(await killParentOf(specs));
  });

  it('should all exit by themselves when the service process is SIGKILLed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uniad-orphans-'));
    let svc: ReturnType<typeof startServiceProcess> | undefined;
    let gone = false;
    try {
      svc = startServiceProcess(
        writeConfig(dir, 'orphans.yaml', {
          node: 'orphans',
          cameras: [
            { id: 'ball', line: 'line1', product: 'bolt', source: 'test:ball', fps: 10 },
            { id: 'rtsp', line: 'line1', product: 'bolt', source: server.url },
          ],
          model: { path: tinyModels.ok, providers: ['cpu'], threads: 1 },
          mqtt: { queue: { store: 'memory' } },
          embeddedBroker: { port: 0, wsPort: 0 },
          dashboard: { enabled: false },
        }),
        dir,
      );
      const service = svc;
      const started = (camera: string) => service.waitForLog('camera capture started', 45_000, (l) => l.camera === camera);
      void service.exited.then(() => (gone = true));
      const exitedEarly = service.exited.then(() => Promise.reject(new Error(`the service exited before its cameras started:\n${service.stderr().slice(-2000)}`)));
      const pids = (await Promise.race([Promise.all([started('ball'), started('rtsp')]), exitedEarly])).map((l) => l.pid as number);
      process.kill(service.pid, 'SIGKILL');
      await service.exited;
      await expectAllExit(pids);
    } finally {
      if (svc !== undefined && !gone) {
        process.kill(svc.pid, 'SIGKILL');
        await svc.exited;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
