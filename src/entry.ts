import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * tsx's loader (`--import`) and API (`register()`) as absolute URLs. A bare `tsx` would be resolved against the
 * process's working directory, which is not this package when the service runs from elsewhere. Only called when
 * running from `.ts` sources, so an installation without devDependencies never needs tsx.
 * Resolved by hand from tsx's package.json (its `import` condition), not with `import.meta.resolve`: vitest's module
 * runner has none, and `require.resolve` would pick tsx's CommonJS API, which cannot register in a worker thread.
 */
export function tsxUrls(): { loader: string; api: string } {
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: { '.': string; './esm/api': { import: { default: string } } } };
  const url = (relative: string) => pathToFileURL(join(dirname(manifest), relative)).href;
  return { loader: url(exports['.']), api: url(exports['./esm/api'].import.default) };
}

/**
 * Where a child process or worker thread entry lives, and how Node must load it.
 * From compiled `dist/` it is the sibling `.js`; run from sources (tests, `tsx`) it is the `.ts` loaded through tsx.
 */
export function entryPoint(fromUrl: string, relative: string): { file: string; execArgv: string[] } {
  const fromTs = fromUrl.endsWith('.ts');
  const url = new URL(relative.replace(/\.js$/, fromTs ? '.ts' : '.js'), fromUrl);
  return { file: fileURLToPath(url), execArgv: fromTs ? ['--import', tsxUrls().loader] : [] };
}

/**
 * Starts a worker thread from compiled `.js`, or from `.ts` sources (tests, tsx). For the latter, `execArgv: ['--import',
 * 'tsx']` is not enough on Node 20 (the worker still refuses ".ts"), so a bootstrap registers tsx inside the worker
 * before importing the entry.
 */
export function startWorkerThread(fromUrl: string, relative: string, workerData: unknown): Worker {
  const { file, execArgv } = entryPoint(fromUrl, relative);
  if (execArgv.length === 0) return new Worker(file, { workerData });
  const bootstrap = `import(${JSON.stringify(tsxUrls().api)}).then(({ register }) => { register(); return import(${JSON.stringify(pathToFileURL(file).href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}
