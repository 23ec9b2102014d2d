/**
 * The repository explains itself: a reader who clones it has no design notes from outside it, so no file points to
 * one, and every `docs/….md` that a file names is there.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './setup/paths.js';

/** Where prose and comments live; `README.md` is a file at the root. */
const roots = ['src', 'test', 'models', 'scripts', 'deploy', 'bench', 'docs', 'README.md'];
const skippedFolders = new Set(['node_modules', '.fixtures', '.cache', '__pycache__', '.pytest_cache', 'dist']);
const binary = /\.(png|jpe?g|onnx|mp4|pt|pth|bin|npz|npy|gz|zip|tar)$/i;

function textFiles(path: string): string[] {
  const stat = statSync(path);
  if (stat.isDirectory()) {
    return readdirSync(path).flatMap((name) => (skippedFolders.has(name) ? [] : textFiles(join(path, name))));
  }
  return binary.test(path) ? [] : [path];
}

/** Design notes that exist only outside the repository, and paths that only lead out of it. */
const outside = [/\b(DESIGN|PLATFORM|STYLE)\.md\b/, /\.\.\/shared\b/, /(^|[\s'"`(])\/work\//];

function referencesOutside(text: string): string[] {
  return text.split('\n').flatMap((line, i) => (outside.some((re) => re.test(line)) ? [`${i + 1}: ${line.trim()}`] : []));
}

/** Docs a command writes from its measurements, absent until it has run once. */
const writtenByCommand: Readonly<Record<string, string>> = { 'performance.md': 'npm run bench (bench/index.ts)' };

/** Folders of src/ a page may name a file of without the `src/` (`sinks/topics.ts`), in backticks. */
const srcFolders = readdirSync(join(repoRoot, 'src')).filter((name) => statSync(join(repoRoot, 'src', name)).isDirectory());

/** Source files a page names: `src/…` and `test/…` in full, or relative to src/ in backticks; not inside another path. */
function namedSourcePaths(text: string, folders: readonly string[] = srcFolders): string[] {
  const full = /(?<![\w/.-])((?:src|test)\/[\w./-]+\.(?:ts|js|css|html))\b/g;
  const inSrc = new RegExp(`\`((?:${folders.join('|')})/[\\w./-]+\\.(?:ts|js|css|html))\``, 'g');
  return [...[...text.matchAll(full)].map((m) => m[1]!), ...[...text.matchAll(inSrc)].map((m) => `src/${m[1]!}`)];
}

const self = relative(repoRoot, new URL(import.meta.url).pathname);
const files = roots.flatMap((root) => (existsSync(join(repoRoot, root)) ? textFiles(join(repoRoot, root)) : [])).map((p) => relative(repoRoot, p));

describe('references in the repository', () => {
  it('should read the files that hold comments and prose', () => {
    expect(files).toContain('src/service.ts');
    expect(files).toContain('models/uniad/export.py');
    expect(files).toContain('deploy/jetson/uniad-edge.service');
  });

  it('should point to no design document outside the repository', () => {
    const found = files.filter((f) => f !== self).flatMap((f) => referencesOutside(readFileSync(join(repoRoot, f), 'utf8')).map((hit) => `${f}:${hit}`));
    expect(found, 'point to docs/architecture.md or docs/platform.md instead').toEqual([]);
  });

  it('should name only docs that exist, or that a command of the repository writes', () => {
    const named = files.flatMap((f) => [...readFileSync(join(repoRoot, f), 'utf8').matchAll(/\bdocs\/([\w.-]+\.md)\b/g)].map((m) => [f, m[1]!] as const));
    expect(named.length).toBeGreaterThan(5);
    const missing = named.filter(([, doc]) => !existsSync(join(repoRoot, 'docs', doc)) && !(doc in writtenByCommand));
    expect(missing.map(([f, doc]) => `${f} names docs/${doc}`)).toEqual([]);
  });

  it('should name only source files that exist in its pages, so a file moved leaves no stale path behind', () => {
    const pages = files.filter((f) => f === 'README.md' || (f.startsWith('docs/') && f.endsWith('.md')));
    const named = pages.flatMap((f) => namedSourcePaths(readFileSync(join(repoRoot, f), 'utf8')).map((path) => [f, path] as const));
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter(([, path]) => !existsSync(join(repoRoot, path))).map(([f, path]) => `${f} names ${path}`)).toEqual([]);
  });

  it('should read source paths in full and relative to src/, and not one inside another path', () => {
    const text = '`src/a.ts`, test/b.test.ts, `sinks/topics.ts`, node_modules/x/src/c.ts, (src/d.js), sinks/e.ts, `other/f.ts`';
    expect(namedSourcePaths(text, ['sinks'])).toEqual(['src/a.ts', 'test/b.test.ts', 'src/d.js', 'src/sinks/topics.ts']);
  });

  it('should recognise each kind of outside reference, and not an ordinary path', () => {
    expect(referencesOutside('see shared DESIGN.md\nok\n(PLATFORM.md)\n../shared/x\nfrom /work/main/src')).toEqual(['1: see shared DESIGN.md', '3: (PLATFORM.md)', '4: ../shared/x', '5: from /work/main/src']);
    expect(referencesOutside('docs/platform.md, src/work/x.ts, DESIGN.mdx')).toEqual([]);
  });
});
