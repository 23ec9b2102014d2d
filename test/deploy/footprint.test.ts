/**
 * scripts/footprint.sh, the clean-machine check, against a temporary tree standing for the machine's root (--root):
 * what a command writes outside its clone and the allowed places is listed and fails the check; the clone, the
 * temporary folders, npm's cache and apt's state do not; what is new in the temporary folders is listed apart.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../setup/paths.js';

let machine: string | undefined;
afterEach(() => {
  if (machine) rmSync(machine, { recursive: true, force: true });
  machine = undefined;
});

/** Runs `command` under footprint.sh in a clone of a fresh machine tree; paths in `command` are relative to that root. */
function footprint(command: string, allow: string[] = []) {
  machine = mkdtempSync(join(tmpdir(), 'footprint-'));
  const root = join(machine, 'root');
  for (const dir of ['etc', 'tmp', 'var/lib/apt', 'var/lib/uniad-edge', 'root/.npm', 'work/clone', 'work/other']) mkdirSync(join(root, dir), { recursive: true });
  const r = spawnSync('bash', [join(repoRoot, 'scripts/footprint.sh'), '--root', root, ...allow.flatMap((a) => ['--allow', join(root, a)]), '--', 'bash', '-c', command], {
    cwd: join(root, 'work/clone'),
    env: { ...process.env, HOME: join(root, 'root'), ROOT: root },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout.replaceAll(root, ''), stderr: r.stderr };
}

describe('scripts/footprint.sh', () => {
  it('lists what a command wrote outside its clone and the allowed places, and fails', () => {
    const r = footprint(
      'cd "$ROOT" && touch work/clone/built tmp/left var/lib/apt/lists root/.npm/cache && mkdir -p var/lib/uniad-edge/archive/tiny root/.cache/gstreamer-1.0 && touch root/.cache/gstreamer-1.0/registry.bin',
    );
    expect(r.stderr).toBe('');
    const listed = r.stdout.split('\n').flatMap((l) => /^ {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (\/.*)$/.exec(l)?.[1] ?? []);
    expect(listed).toEqual(['/root', '/root/.cache', '/root/.cache/gstreamer-1.0', '/root/.cache/gstreamer-1.0/registry.bin', '/var/lib/uniad-edge', '/var/lib/uniad-edge/archive', '/var/lib/uniad-edge/archive/tiny']);
    expect(r.stdout).toContain('footprint: changed outside the clone and the allowed places (7):');
    const byFolder = r.stdout.slice(r.stdout.indexOf('footprint: by folder:\n')).split('\n').slice(1, 4).map((l) => l.trim().split(/\s+/));
    expect(byFolder).toEqual(expect.arrayContaining([['3', '/root/.cache'], ['3', '/var/lib'], ['1', '/root']]));
    expect(r.stdout).toContain('footprint: new in the temporary folders, still there (1), allowed:\n  /tmp/left\n');
    expect(r.status).toBe(1);
  });

  it('passes a command that writes only into its clone, the temporary folders, npm\'s cache and apt\'s state', () => {
    const r = footprint('cd "$ROOT" && touch work/clone/built var/lib/apt/lists root/.npm/cache && mkdir tmp/scratch && rmdir tmp/scratch');
    expect(r.stdout).toBe('footprint: nothing changed outside the clone and the allowed places\nfootprint: the command exited with 0\n');
    expect(r.status).toBe(0);
  });

  it('takes more allowed places with --allow, and exits with the status of a command that failed', () => {
    const r = footprint('touch "$ROOT/work/other/x"; exit 3', ['work/other']);
    expect(r.stdout).toBe('footprint: nothing changed outside the clone and the allowed places\nfootprint: the command exited with 3\n');
    expect(r.status).toBe(3);
  });

  it('refuses to run without a command', () => {
    const r = spawnSync('bash', [join(repoRoot, 'scripts/footprint.sh'), '--'], { encoding: 'utf8' });
    expect(r.stderr).toBe('footprint: no command (usage: footprint.sh [--allow DIR]... [--root DIR] -- COMMAND [ARG...])\n');
    expect(r.status).toBe(2);
  });
});
