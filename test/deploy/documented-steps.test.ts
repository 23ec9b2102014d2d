/**
 * The documented setup steps as a new user runs them: every command of the READMEs that puts a file into
 * /etc/uniad-edge works on a box where that folder does not exist yet (run here under a temporary root), and the
 * deployment guide has one order of steps, with the service started only after its config was checked.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../setup/paths.js';

const guides = ['README.md', 'deploy/jetson/README.md'];

/** Shell lines of a page's ```sh blocks, comments cut. */
const shellLines = (page: string) =>
  [...readFileSync(join(repoRoot, page), 'utf8').matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()));

/** The commands that write a file into /etc/uniad-edge (a copy or an install of an example). */
const intoEtc = guides.flatMap((page) =>
  shellLines(page)
    .filter((l) => /^(sudo )?(cp|install)\b.*\s\/etc\/uniad-edge\/\S+$/.test(l))
    .map((line) => ({ page, line })),
);

describe('documented steps', () => {
  it('should name the copies of the example configs', () => {
    expect(intoEtc.map((c) => c.line)).toEqual(expect.arrayContaining([expect.stringContaining('config.example.yaml /etc/uniad-edge/config.yaml'), expect.stringContaining('actuator.example.yaml /etc/uniad-edge/actuator.yaml')]));
  });

  it.each(intoEtc)('$page: `$line` works where /etc/uniad-edge does not exist yet', ({ line }) => {
    const root = mkdtempSync(join(tmpdir(), 'documented-etc-'));
    try {
      const command = line.replace(/^sudo /, '').replaceAll('/etc/uniad-edge/', `${root}/etc/uniad-edge/`);
      const r = spawnSync('bash', ['-c', command], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(existsSync(join(root, line.split(' ').at(-1)!))).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('should give the deployment guide one list of steps that starts the service, checking the config before it starts it', () => {
    const guide = readFileSync(join(repoRoot, 'deploy/jetson/README.md'), 'utf8');
    // a numbered list: its items and their indented continuation lines
    const lists = [...guide.matchAll(/(?:^\d+\. .*\n(?:(?: {3}.*)?\n)*)+/gm)].map((m) => m[0]);
    const starting = lists.filter((l) => l.includes('systemctl enable --now uniad-edge'));
    expect(starting).toHaveLength(1);
    const steps = starting[0]!;
    const at = (text: string) => {
      const i = steps.indexOf(text);
      expect(i, text).toBeGreaterThanOrEqual(0);
      return i;
    };
    expect(at('install.sh install')).toBeLessThan(at('uniad-edge.js check --config /etc/uniad-edge/config.yaml'));
    expect(at('uniad-edge.js check --config /etc/uniad-edge/config.yaml')).toBeLessThan(at('systemctl enable --now uniad-edge'));
  });
});
