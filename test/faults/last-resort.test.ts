/** The handlers of last resort, in a real Node process each: log, then exit non-zero, never hang or die silently. */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tsxUrls } from '../../src/entry.js';
import { repoRoot } from '../setup/paths.js';

const module = pathToFileURL(`${repoRoot}src/last-resort.ts`).href;
const log = pathToFileURL(`${repoRoot}src/log.ts`).href;

/** Runs `body` as an ES module with a logger and the last-resort functions imported; resolves with its exit and stderr. */
function run(body: string): Promise<{ code: number | null; stderr: string; ms: number }> {
  const source = `import { exitIfStuck, exitOnUnhandled } from ${JSON.stringify(module)};
import { createLogger } from ${JSON.stringify(log)};
const logger = createLogger('info');
${body}`;
  const t0 = Date.now();
  const child = spawn(process.execPath, ['--import', tsxUrls().loader, '--input-type=module', '-e', source], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr, ms: Date.now() - t0 })));
}

const logLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: string; msg: string; error?: string });

describe('last resort', () => {
  it('should log an unhandled rejection with its stack and exit 1', async () => {
    const r = await run(`exitOnUnhandled(logger);\nPromise.reject(new Error('boom in a forgotten promise'));\nsetInterval(() => {}, 1000);`);
    expect(r.code).toBe(1);
    expect(logLines(r.stderr)).toEqual([
      expect.objectContaining({ level: 'error', msg: 'unhandled rejection: exiting so that the service is restarted clean', error: expect.stringMatching(/^Error: boom in a forgotten promise\n\s+at /) }),
    ]);
  });

  it('should log an uncaught exception and exit 1', async () => {
    const r = await run(`exitOnUnhandled(logger);\nsetTimeout(() => { throw new TypeError('boom in a timer'); }, 10);\nsetInterval(() => {}, 1000);`);
    expect(r.code).toBe(1);
    expect(logLines(r.stderr)[0]).toMatchObject({ msg: 'uncaught exception: exiting so that the service is restarted clean', error: expect.stringContaining('TypeError: boom in a timer') });
  });

  it('should end a shutdown that hangs after its time, saying so', async () => {
    const r = await run(`exitIfStuck(logger, 300);\nsetInterval(() => {}, 1000); // a handle nobody closed`);
    expect(r.code).toBe(1);
    expect(logLines(r.stderr)).toEqual([expect.objectContaining({ level: 'error', msg: 'shutdown did not finish in time; exiting now', ms: 300 })]);
  });

  it('should not hold up a process that ends by itself', async () => {
    const r = await run(`exitIfStuck(logger, 20_000);`);
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(10_000);
    expect(r.stderr).toBe('');
  });
});
