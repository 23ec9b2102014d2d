#!/usr/bin/env node
// Runs the compiled CLI (npm run build); in a source checkout without a build, the TypeScript sources through tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('../dist/src/cli.js', import.meta.url);
let entry = compiled;
if (!existsSync(fileURLToPath(compiled))) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = new URL('../src/cli.ts', import.meta.url);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
