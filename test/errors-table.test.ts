/**
 * The error table (src/errors.ts) is the contract with users: every code is documented in docs/errors.md and provoked
 * by a test. "Provoked" is read from the tests themselves: a test that makes the error happen names its code as a
 * string (`toMatchObject({ code: 'MODEL_READ' })`), so a code no test file names has no test.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCodes, type ErrorCode } from '../src/errors.js';
import { repoRoot } from './setup/paths.js';

/**
 * Codes thrown only on a branch that has not landed yet, with the branch whose tests provoke them. Take a code off
 * once its test is on main; never add one to silence this test.
 */
const awaitingTests: Readonly<Partial<Record<ErrorCode, string>>> = {
  SOURCE_NVMM: 'jetson (thrown by the service wiring of CSI cameras)',
  ONNXRUNTIME_VERSION: 'jetson (thrown by the inference worker)',
  TENSORRT_SETTINGS: 'jetson (test/pipeline/providers.test.ts)',
};

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === '.fixtures' || name === 'node_modules') return [];
    return statSync(path).isDirectory() ? testFiles(path) : name.endsWith('.ts') ? [path] : [];
  });
}

const self = relative(repoRoot, new URL(import.meta.url).pathname);
const tests = testFiles(join(repoRoot, 'test'))
  .map((path) => ({ file: relative(repoRoot, path), text: readFileSync(path, 'utf8') }))
  .filter(({ file }) => file !== self);

const quoted = (code: string) => new RegExp(`['"\`]${code}['"\`]`);

/** Codes with a row in docs/errors.md: its first column, as `CODE`. */
function documentedCodes(): string[] {
  const doc = readFileSync(join(repoRoot, 'docs/errors.md'), 'utf8');
  return [...doc.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]!);
}

describe('the error table', () => {
  it('should document every code in docs/errors.md, and no code that is not in the table', () => {
    const documented = documentedCodes();
    expect(errorCodes.filter((code) => !documented.includes(code)).map((code) => `${code}: add a row (code, meaning, what to do) to docs/errors.md`)).toEqual([]);
    expect(documented.filter((code) => !(errorCodes as string[]).includes(code)).map((code) => `${code}: documented but not in src/errors.ts`)).toEqual([]);
  });

  it('should have every code provoked by a test that names it', () => {
    const untested = errorCodes.filter((code) => !(code in awaitingTests) && !tests.some(({ text }) => quoted(code).test(text)));
    expect(
      untested.map((code) => `${code}: no test provokes it — write one that makes it happen and checks { code: '${code}' } (test/error-codes.test.ts holds such tests)`),
    ).toEqual([]);
  });

  it('should wait for tests only for codes of the table', () => {
    expect(Object.keys(awaitingTests).filter((code) => !(errorCodes as string[]).includes(code))).toEqual([]);
  });

  it('should find a code only where a test names it exactly', () => {
    expect(quoted('MQTT').test(`toMatchObject({ code: 'MQTT' })`)).toBe(true);
    expect(quoted('MQTT').test(`toMatchObject({ code: 'MQTT_CONNECT' })`)).toBe(false);
    expect(quoted('USAGE').test('describe("usage")')).toBe(false);
  });
});
