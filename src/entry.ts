import { fileURLToPath } from 'node:url';

/**
 * Where a child process or worker thread entry lives, and how Node must load it.
 * From compiled `dist/` it is the sibling `.js`; run from sources (tests, `tsx`) it is the `.ts` loaded through tsx.
 */
export function entryPoint(fromUrl: string, relative: string): { file: string; execArgv: string[] } {
  const fromTs = fromUrl.endsWith('.ts');
  const url = new URL(relative.replace(/\.js$/, fromTs ? '.ts' : '.js'), fromUrl);
  return { file: fileURLToPath(url), execArgv: fromTs ? ['--import', 'tsx'] : [] };
}
