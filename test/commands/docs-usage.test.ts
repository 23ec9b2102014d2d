/**
 * What the repository tells a reader to type stays true: every `uniad-edge <command> …` written in the docs, the
 * deployment files and the sources names a command of the table and only options that command takes.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/commands/table.js';
import { repoRoot } from '../setup/paths.js';

const roots = ['README.md', 'config.example.yaml', 'docs', 'deploy', 'models', 'src', 'bench', 'scripts'];
const skipped = new Set(['node_modules', '.fixtures', '.cache', '__pycache__', '.pytest_cache', 'dist', 'tests']);
const text = /\.(md|ya?ml|sh|service|ts|py|txt)$/;

function files(path: string): string[] {
  if (statSync(path).isDirectory()) return readdirSync(path).flatMap((name) => (skipped.has(name) ? [] : files(join(path, name))));
  return text.test(path) ? [path] : [];
}

/** Joins shell lines continued with a trailing backslash. */
const joinContinued = (source: string) => source.replace(/\\\n\s*/g, ' ');

/**
 * Each written invocation: the command word and the rest of it, up to the end of a code span (backtick), a shell
 * comment, a table cell or the line.
 */
function invocations(source: string): { command: string; rest: string }[] {
  return [...joinContinued(source).matchAll(/\buniad-edge(?:\.js)? ([a-z][a-z-]*)([^`|\n]*)/g)].map((m) => ({ command: m[1]!, rest: m[2]!.split(/\s#\s/)[0]! }));
}

const written = roots
  .filter((root) => existsSync(join(repoRoot, root)))
  .flatMap((root) => files(join(repoRoot, root)))
  .flatMap((file) => invocations(readFileSync(file, 'utf8')).map((i) => ({ ...i, file: relative(repoRoot, file) })));

describe('uniad-edge commands written in the repository', () => {
  it('should be found in the README, the docs and the deployment files', () => {
    const where = new Set(written.filter((w) => commands.some((c) => c.name === w.command)).map((w) => w.file));
    for (const file of ['README.md', 'docs/errors.md', 'deploy/jetson/README.md', 'deploy/jetson/uniad-edge.service', 'models/README.md']) expect(where, file).toContain(file);
  });

  it('should use only options the command takes', () => {
    const wrong = written.flatMap(({ command, rest, file }) => {
      const c = commands.find((x) => x.name === command);
      if (c === undefined) return [];
      const options = [...rest.matchAll(/(?:^|[\s[])--([a-z][a-z-]*)/g)].map((m) => m[1]!);
      return options.filter((o) => !(o in c.options) && o !== 'help').map((o) => `${file}: uniad-edge ${command} does not take --${o}`);
    });
    expect(wrong).toEqual([]);
  });

  it('should read an invocation across continued lines and stop at its code span, comment or table cell', () => {
    expect(invocations('`uniad-edge evidence <id> [--config FILE]` prints where; --model is not its')).toEqual([{ command: 'evidence', rest: ' <id> [--config FILE]' }]);
    expect(invocations('node bin/uniad-edge.js calibrate --model m \\\n    --out t.json   # --seconds is prose')).toEqual([{ command: 'calibrate', rest: ' --model m  --out t.json  ' }]);
    expect(invocations('| `uniad-edge doctor` | --root x |')).toEqual([{ command: 'doctor', rest: '' }]);
  });
});
