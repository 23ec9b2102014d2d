/**
 * The one-instance lock of the state folder (src/state-lock.ts) against real processes: a PID alone is no owner (it
 * may be anything after a reboot, even `tail -f uniad-edge.log`); the same PID with the same start time is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockHolderPid, processStartTime, takeStateLock } from '../src/state-lock.js';

const dir = mkdtempSync(join(tmpdir(), 'uniad-lock-'));
let n = 0;
const lockPath = () => join(dir, `state-${n++}`, 'lock');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function started(command: string, args: string[]): Promise<number> {
  const child = spawn(command, args, { stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  return child.pid!;
}

const place = (path: string, target: string) => {
  takeStateLock(path).release(); // makes the folder
  symlinkSync(target, path);
};

describe('the state folder lock', () => {
  it('should take over a lock whose PID now belongs to a process that merely mentions uniad-edge', async () => {
    const log = join(dir, 'uniad-edge.log');
    writeFileSync(log, '');
    const tail = await started('tail', ['-f', log]);
    const path = lockPath();
    place(path, String(tail)); // a lock of an older release: a PID alone
    const lock = takeStateLock(path);
    expect(lockHolderPid(readlinkSync(path))).toBe(process.pid);
    lock.release();
  });

  it('should take over a lock whose PID was reused by another process (its start time differs)', async () => {
    const other = await started(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    const path = lockPath();
    place(path, `${other}:${Number(processStartTime(other)) - 1}`);
    const lock = takeStateLock(path);
    expect(readlinkSync(path)).toBe(`${process.pid}:${processStartTime(process.pid)}`);
    lock.release();
  });

  it('should refuse while the process that took it runs, old lock or new', async () => {
    const other = await started(process.execPath, ['-e', 'setInterval(() => {}, 1000)', join(dir, 'bin', 'uniad-edge.js'), 'run']);
    const current = lockPath();
    place(current, `${other}:${processStartTime(other)}`);
    expect(() => takeStateLock(current)).toThrow(expect.objectContaining({ code: 'INSTANCE_RUNNING' }));
    const old = lockPath();
    place(old, String(other));
    expect(() => takeStateLock(old)).toThrow(expect.objectContaining({ code: 'INSTANCE_RUNNING' }));
  });

  it('should release only its own lock', () => {
    const path = lockPath();
    const lock = takeStateLock(path);
    rmSync(path);
    symlinkSync('12345:1', path); // taken over meanwhile
    lock.release();
    expect(readlinkSync(path)).toBe('12345:1');
  });
});
