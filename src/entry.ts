import { fileURLToPath } from 'node:url';

/**
 * tsx's loader (`--import`) and API (`register()`) as absolute URLs. A bare `tsx` would be resolved against the
 * process's working directory, which is not this package when the service runs from elsewhere. Only called when
 * running from `.ts` sources, so an installation without devDependencies never needs tsx.
 */
export function tsxUrls(): { loader: string; api: string } {
  return { loader: import.meta.resolve('tsx'), api: import.meta.resolve('tsx/esm/api') };
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
