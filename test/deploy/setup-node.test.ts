/**
 * scripts/setup.sh on a fresh box: Node.js first. Run whole, with stand-ins first on PATH for node, apt-cache,
 * apt-get, npm and sudo that log what they are asked and install nothing: a node of 20 or newer is kept, a missing
 * one comes from apt where apt offers 20 or newer (Debian 13, NodeSource's repository), and a box whose apt has only
 * 18 (Debian 12, Ubuntu 24.04) stops before anything is installed, saying where Node 20 comes from.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../setup/paths.js';

const stubs: Record<string, string> = {
  // Prints the version in $STUB/node-version; with no such file it is a node that is not there.
  node: '#!/bin/sh\n[ -f "$STUB/node-version" ] || exit 127\ncat "$STUB/node-version"\n',
  'apt-cache': '#!/bin/sh\necho "nodejs:"\necho "  Installed: (none)"\necho "  Candidate: $(cat "$STUB/candidate")"\n',
  // An install of nodejs leaves the candidate's node behind, as apt would.
  'apt-get':
    '#!/bin/sh\necho "$*" >> "$STUB/apt-get.log"\ncase " $* " in *" install "*" nodejs "*) echo "v$(cut -d+ -f1 "$STUB/candidate" | cut -d- -f1)" > "$STUB/node-version" ;; esac\n',
  npm: '#!/bin/sh\necho "$*" >> "$STUB/npm.log"\n',
  sudo: '#!/bin/sh\nexec "$@"\n',
};

let stub: string | undefined;
afterEach(() => {
  if (stub) rmSync(stub, { recursive: true, force: true });
  stub = undefined;
});

function setup(node: string | undefined, candidate: string, args: string[] = []) {
  stub = mkdtempSync(join(tmpdir(), 'setup-node-'));
  for (const [name, text] of Object.entries(stubs)) writeFileSync(join(stub, name), text, { mode: 0o755 });
  if (node !== undefined) writeFileSync(join(stub, 'node-version'), `${node}\n`);
  writeFileSync(join(stub, 'candidate'), candidate);
  const r = spawnSync('bash', [join(repoRoot, 'scripts/setup.sh'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${stub}:${process.env.PATH}`, STUB: stub },
    timeout: 60_000,
  });
  const log = (name: string) => (existsSync(join(stub!, name)) ? readFileSync(join(stub!, name), 'utf8') : '');
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, aptGet: log('apt-get.log'), npm: log('npm.log') };
}

describe('scripts/setup.sh: Node.js', () => {
  it('keeps a node of 20 or newer and goes on to the npm packages', () => {
    const r = setup('v20.20.2', '18.20.4+dfsg-1~deb12u3');
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('setup: Node.js v20.20.2\n');
    expect(r.aptGet).not.toMatch(/\bnodejs\b/);
    expect(r.npm).toBe('ci --no-audit --no-fund\nrun build\n');
    expect(r.status).toBe(0);
  });

  it("stops on Debian 12's node 18, before installing anything, with NodeSource's commands and the tarball", () => {
    const r = setup('v18.20.4', '18.20.4+dfsg-1~deb12u3');
    expect(r.stderr).toContain('uniad-edge needs Node.js 20 or newer (package.json "engines"); this box has node v18.20.4, and apt offers nodejs 18.20.4+dfsg-1~deb12u3');
    expect(r.stderr).toContain('curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key | sudo gpg --dearmor -o /etc/apt/keyrings/nodesource.gpg');
    expect(r.stderr).toContain('echo "deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_20.x nodistro main"');
    expect(r.stderr).toContain('https://nodejs.org/dist/latest-v20.x/');
    // apt's lists were refreshed once to ask again; nothing was installed, npm never ran
    expect(r.aptGet).toBe('update -q\n');
    expect(r.npm).toBe('');
    expect(r.status).toBe(1);
  });

  it('stops the same way where there is no node at all and apt has none either', () => {
    const r = setup(undefined, '(none)');
    expect(r.stderr).toContain('this box has node none, and apt offers nodejs (none)');
    expect(r.aptGet).toBe('update -q\n');
    expect(r.status).toBe(1);
  });

  it("installs Debian 13's nodejs 20 where node is missing, with the other packages, then the npm packages", () => {
    const r = setup(undefined, '20.19.2+dfsg-1');
    expect(r.stdout).toContain('setup: installing Node.js from apt (nodejs 20.19.2+dfsg-1)');
    const lines = r.aptGet.trim().split('\n');
    expect(lines[0]).toBe('update -q');
    expect(lines.filter((l) => l.startsWith('install'))).toEqual([expect.stringMatching(/^install -y -q --no-install-recommends .*\bnodejs$/)]);
    expect(r.npm).toBe('ci --no-audit --no-fund\nrun build\n');
    expect(r.status).toBe(0);
  });

  it("takes NodeSource's nodejs where its repository is configured and the box's node is 18", () => {
    const r = setup('v18.19.1', '20.20.2-1nodesource1');
    expect(r.stdout).toContain('setup: installing Node.js from apt (nodejs 20.20.2-1nodesource1)');
    expect(r.status).toBe(0);
  });

  it('refuses an option it does not know', () => {
    const r = setup('v20.20.2', '(none)', ['--runtime']);
    expect(r.stderr).toBe('setup: unknown option --runtime (usage: bash scripts/setup.sh [--runtime-only])\n');
    expect(r.npm).toBe('');
    expect(r.status).toBe(2);
  });
});
