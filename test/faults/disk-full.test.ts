/**
 * Item 4 of issue 9: with the offline queue on a full filesystem the service died on an uncaught ENOSPC and then
 * refused to start until space returned. On a real full filesystem (a small tmpfs this test mounts; it needs root):
 * the service starts, inspects and publishes every verdict live, queues in memory and says `degraded` with why;
 * when space returns the queue goes back to disk and the status to `online`; a disk that fills while it runs does
 * the same. An independent subscriber sees every verdict id.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/types.js';
import { tinyModels } from '../setup/tiny-model.js';
import { subscribe, type Subscriber } from '../support/subscriber.js';
import { startServiceProcess, writeConfig } from './service-process.js';

interface Status {
  readonly state: string;
  readonly causes?: { code: string; message: string }[];
}

/** Mounts a 256 KiB tmpfs on `dir`; the reason it cannot, or undefined. */
function mountTmpfs(dir: string): string | undefined {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'uniad-disk-full', dir], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `mount -t tmpfs failed (${r.stderr.trim() || r.error?.message}): this test needs root`;
}

/** Fills the filesystem of `dir` to the last byte. */
const fill = (dir: string) => spawnSync('dd', ['if=/dev/zero', `of=${join(dir, 'fill')}`, 'bs=4k'], { stdio: 'ignore' });

const until = async (what: string, ok: () => boolean, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const mnt = mkdtempSync(join(tmpdir(), 'uniad-full-'));
const cannotMount = mountTmpfs(mnt);
if (cannotMount) console.warn(`disk-full: SKIPPED, ${cannotMount}`);

describe.skipIf(cannotMount !== undefined)('disk full under the offline queue, service process', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'uniad-full-cfg-'));
  });
  afterAll(() => {
    execFileSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('should start on a full disk, publish every verdict, say degraded with why, and recover when space returns, twice', async () => {
    const stateDir = join(mnt, 'state');
    mkdirSync(stateDir);
    fill(mnt);
    const svc = startServiceProcess(
      writeConfig(dir, 'full.yaml', {
        node: 'full',
        stateDir,
        cameras: [{ id: 'cam1', line: 'line1', product: 'bolt', source: 'test:ball', fps: 20 }],
        model: { path: tinyModels.ok, providers: ['cpu'], threads: 1 },
        mqtt: { queue: { store: 'disk' } },
        // the evidence archive shares the folder and would fill this tiny disk by itself: this test is the queue's
        archive: { enabled: false },
        embeddedBroker: { port: 0, wsPort: 0 },
        dashboard: { enabled: false },
      }),
      dir,
    );
    const { url } = await svc.waitForLog('embedded broker listening');
    const sub: Subscriber = await subscribe(url as string, ['uniad/site/status/full', 'uniad/site/line1/cam1/verdict']);
    const last = () => sub.json<Status>('status/full').at(-1);
    const queueCause = () => last()?.causes?.find((c) => c.code === 'QUEUE_DISK');

    await until('degraded (queue on a full disk) at start', () => last()?.state === 'degraded' && queueCause() !== undefined);
    expect(queueCause()!.message).toMatch(/^mqtt offline queue: cannot write ".*\/state\/queue" \(ENOSPC: .*\); verdicts queue in memory only, lost if the service stops, until it can \(free space on that disk/);
    const before = sub.on('verdict').length;
    await sub.waitFor(before + 20, 'verdict'); // inspection and live publishing go on

    rmSync(join(mnt, 'fill'));
    await until('online once space returned', () => last()?.state === 'online');
    expect(existsSync(join(stateDir, 'queue', 'outbox.log'))).toBe(true);

    fill(mnt); // the disk fills while the service runs
    await until('degraded when the disk filled while running', () => last()?.state === 'degraded' && queueCause() !== undefined);
    const mid = sub.on('verdict').length;
    await sub.waitFor(mid + 20, 'verdict');
    rmSync(join(mnt, 'fill'));
    await until('online again', () => last()?.state === 'online');

    const stop = await svc.stop();
    await until('offline after stop', () => last()?.state === 'offline');
    const ids = sub.json<Verdict>('verdict').map((v) => v.id);
    const stopped = svc.logs.find((l) => l.msg === 'stopped')!;
    const states = sub.json<Status>('status/full').map((s) => s.state).filter((s, i, a) => s !== a[i - 1]);
    console.log(`disk-full: ${new Set(ids).size} unique verdict ids of ${stopped['frames']} frames; statuses ${states.join(' → ')}; SIGTERM exit ${stop.code}`);
    expect(stop.code).toBe(0);
    expect(new Set(ids).size).toBe(stopped['frames']);
    // an empty queue at start writes nothing, so the first status may still be `online`: the first verdict meets the full disk
    expect(states.slice(states.indexOf('degraded'))).toEqual(['degraded', 'online', 'degraded', 'online', 'offline']);
    expect(states.indexOf('degraded')).toBeLessThanOrEqual(1);
    expect(svc.stderr()).not.toMatch(/ENOSPC.*(unhandled|uncaught)|unexpected error/i);
    await sub.close();
  });
});
