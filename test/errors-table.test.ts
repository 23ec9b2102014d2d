/**
 * The error table (src/errors.ts) is the contract with users: every code is documented in docs/errors.md and provoked
 * by a test. "Provoked" is read from the tests' syntax: a test asserts the code as an error's (or a status cause's,
 * or a log line's) `code`, in one of these forms —
 *   - `code: 'X'` in an object inside an `expect(…)` chain: `expect(p).rejects.toMatchObject({ code: 'X' })`,
 *     `expect(lines).toContainEqual(expect.objectContaining({ code: 'X' }))`;
 *   - a table a test iterates (`it.each(table)`, `it.for(table)`, `describe.each(table)`) whose rows carry `code: 'X'`,
 *     or 'X' in the position of a parameter named `code`, when that test asserts `{ code }` inside `expect(…)`;
 *   - `<something>.code === 'X'`, the code of an error, status cause or log line compared.
 * A code named anywhere else (a message, a fixture, a comment) does not count.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { errorCodes } from '../src/errors.js';
import { repoRoot } from './setup/paths.js';

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

const literal = (n: ts.Node | undefined): string | undefined => (n && (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) ? n.text : undefined);
const unwrap = (n: ts.Expression): ts.Expression => (ts.isAsExpression(n) || ts.isParenthesizedExpression(n) || ts.isSatisfiesExpression(n) ? unwrap(n.expression) : n);

/** Whether a call is part of an `expect(…)` chain: `expect(x).toBe(…)`, `expect(p).rejects.toMatchObject(…)`, `expect.objectContaining(…)`. */
function isExpectCall(call: ts.CallExpression): boolean {
  let e: ts.Expression = call.expression;
  for (;;) {
    if (ts.isIdentifier(e)) return e.text === 'expect';
    if (ts.isPropertyAccessExpression(e) || ts.isCallExpression(e) || ts.isAwaitExpression(e) || ts.isParenthesizedExpression(e)) e = e.expression;
    else return false;
  }
}

const insideExpect = (n: ts.Node): boolean => {
  for (let a = n.parent; a; a = a.parent) if (ts.isCallExpression(a) && isExpectCall(a)) return true;
  return false;
};

/** `code: 'X'` properties anywhere under a node. */
function codeProperties(root: ts.Node): { node: ts.PropertyAssignment; code: string }[] {
  const found: { node: ts.PropertyAssignment; code: string }[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isPropertyAssignment(n) && ts.isIdentifier(n.name) && n.name.text === 'code') {
      const code = literal(n.initializer);
      if (code !== undefined) found.push({ node: n, code });
    }
    ts.forEachChild(n, visit);
  };
  visit(root);
  return found;
}

/** Whether a test body asserts `{ code }` (the row's code) inside `expect(…)`. */
function assertsRowCode(body: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node) => {
    if (ts.isShorthandPropertyAssignment(n) && n.name.text === 'code' && insideExpect(n)) found = true;
    if (!found) ts.forEachChild(n, visit);
  };
  visit(body);
  return found;
}

/** The rows of a table argument: an array literal, or a const of this file initialised with one. */
function tableRows(arg: ts.Expression, file: ts.SourceFile): ts.Expression[] {
  let table = unwrap(arg);
  if (ts.isIdentifier(table)) {
    const name = table.text;
    let init: ts.Expression | undefined;
    const visit = (n: ts.Node) => {
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === name && n.initializer) init = n.initializer;
      if (!init) ts.forEachChild(n, visit);
    };
    visit(file);
    if (!init) return [];
    table = unwrap(init);
  }
  return ts.isArrayLiteralExpression(table) ? table.elements.map(unwrap) : [];
}

/** Codes a table-driven test asserts: `it.each(rows)('…', ({ code }) => … expect(…).…({ code }))`. */
function tableCodes(call: ts.CallExpression, file: ts.SourceFile): string[] {
  const table = call.expression;
  if (!ts.isCallExpression(table) || !ts.isPropertyAccessExpression(table.expression)) return [];
  if (!['each', 'for'].includes(table.expression.name.text) || table.arguments.length === 0) return [];
  const body = call.arguments.find((a) => ts.isArrowFunction(a) || ts.isFunctionExpression(a)) as ts.ArrowFunction | ts.FunctionExpression | undefined;
  if (!body || !assertsRowCode(body.body)) return [];
  const rows = tableRows(table.arguments[0]!, file);
  // Rows as tuples: the code sits where the parameter named `code` is.
  const position = body.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === 'code');
  return rows.flatMap((row) => {
    if (ts.isObjectLiteralExpression(row)) return codeProperties(row).map((p) => p.code);
    if (ts.isArrayLiteralExpression(row) && position >= 0) return [literal(row.elements[position])].filter((c): c is string => c !== undefined);
    return [];
  });
}

/** Every code a test file asserts, in the forms above. */
function assertedCodes(text: string): Set<string> {
  const file = ts.createSourceFile('test.ts', text, ts.ScriptTarget.Latest, true);
  const codes = new Set<string>();
  const visit = (n: ts.Node) => {
    if (ts.isPropertyAssignment(n) && ts.isIdentifier(n.name) && n.name.text === 'code' && insideExpect(n)) {
      const code = literal(n.initializer);
      if (code !== undefined) codes.add(code);
    }
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsEqualsEqualsToken && ts.isPropertyAccessExpression(n.left) && n.left.name.text === 'code') {
      const code = literal(n.right);
      if (code !== undefined) codes.add(code);
    }
    if (ts.isCallExpression(n)) for (const code of tableCodes(n, file)) codes.add(code);
    ts.forEachChild(n, visit);
  };
  visit(file);
  return codes;
}

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

  it('should have every code provoked by a test that asserts it', () => {
    const asserted = new Set(tests.flatMap(({ text }) => [...assertedCodes(text)]));
    const untested = errorCodes.filter((code) => !asserted.has(code));
    expect(
      untested.map((code) => `${code}: no test asserts it — write one that makes it happen and checks expect(…).toMatchObject({ code: '${code}' }) (test/error-codes.test.ts holds such tests)`),
    ).toEqual([]);
  });

  it('should count a code only where a test asserts it as a code', () => {
    const codes = (text: string) => [...assertedCodes(text)].sort();
    expect(codes(`await expect(open()).rejects.toMatchObject({ code: 'MODEL_READ' });`)).toEqual(['MODEL_READ']);
    expect(codes(`expect(logs).toContainEqual(expect.objectContaining({ level: 'error', code: 'MQTT_CONNECT' }));`)).toEqual(['MQTT_CONNECT']);
    expect(codes(`await until(() => status().causes.some((c) => c.code === 'QUEUE_DISK'));`)).toEqual(['QUEUE_DISK']);
    expect(codes(`const steps = [{ part: 'model', code: 'MODEL_READ' }] as const;
      it.for(steps)('$part', async ({ code }) => { await expect(start()).rejects.toMatchObject({ code }); });`)).toEqual(['MODEL_READ']);
    expect(codes(`it.each([['nchw', 'MODEL_CONTRACT', /NCHW/]] as const)('%s', async (variant, code, why) => { await expect(open(variant)).rejects.toMatchObject({ code }); });`)).toEqual(['MODEL_CONTRACT']);
    // named, but not asserted as a code
    expect(codes(`it('MODEL_READ', () => expect(message).toContain('MODEL_READ'));`)).toEqual([]);
    expect(codes(`await status({ state: 'degraded', causes: [{ code: 'QUEUE_DISK', message: 'disk full' }] });`)).toEqual([]);
    expect(codes(`it.each([{ code: 'USAGE' }])('x', ({ code }) => expect(run(code)).toBe(2));`)).toEqual([]);
    expect(codes(`expect(x).toMatchObject({ code: 'MQTT_CONNECT_X' }); // MQTT`)).toEqual(['MQTT_CONNECT_X']);
  });
});
