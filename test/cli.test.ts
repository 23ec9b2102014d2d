/** The `uniad-edge` command as a user runs it: a real process, its exit code, stdout and stderr. */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { commands } from '../src/commands/table.js';
import { tinyModels } from './setup/tiny-model.js';
import { repoRoot } from './setup/paths.js';
import { testVideo } from './setup/video.js';

const bin = join(repoRoot, 'bin/uniad-edge.js');
const dir = mkdtempSync(join(tmpdir(), 'uniad-cli-'));
/** The state folder (lock, queue) of every command run here: this test's, not the machine's. */
const env = { ...process.env, STATE_DIRECTORY: join(dir, 'state') };

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { cwd: dir, env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function config(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

const camera = `cameras:\n  - { id: cam1, line: line1, product: bolt, source: "${testVideo.path}" }\n`;

/** The first line the model load writes: the service has not started yet. */
const modelLoading = 'execution provider';

/**
 * `run` on a one-camera config written as `name`, sent each signal once, at the first moment its stderr holds the
 * signal's text; resolves with how it exited and all it wrote to stderr.
 */
async function runSignalled(name: string, signals: readonly (readonly [text: string, signal: NodeJS.Signals])[]) {
  const path = config(
    name,
    `cameras:\n  - { id: cam1, line: line1, product: bolt, source: "test:ball", fps: 20 }\nmodel: { path: "${tinyModels.ok}", providers: [cpu] }\nmqtt: { queue: { store: memory } }\nembeddedBroker: { port: 0, wsPort: 0 }\ndashboard: { enabled: false }\n`,
  );
  const child = spawn(process.execPath, [bin, 'run', '--config', path], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const sent = new Set<number>();
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
    signals.forEach(([text, signal], i) => !sent.has(i) && stderr.includes(text) && child.kill(signal) && sent.add(i));
  });
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { exit, stderr };
}

describe('uniad-edge command', () => {
  it('prints its usage with --help and exits 0', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/uniad-edge run --config FILE/);
  });

  it('exits 2 and says what is missing when run has no --config', async () => {
    const r = await cli('run');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('uniad-edge: usage: "run" needs --config FILE (see uniad-edge --help)\n');
  });

  it('exits 1 naming the field and the fix for a bad config', async () => {
    const path = config('bad.yaml', `${camera}model: { path: m.onnx, batchMaxSize: 0 }\nmqtt: { url: "http://broker" }\n`);
    const r = await cli('check', '--config', path);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('model.batchMaxSize: 0 is out of range: whole numbers 1 to 256 frames');
    expect(r.stderr).toContain('mqtt.url: use mqtt://, mqtts://, ws:// or wss://');
  });

  it('refuses a model that is not ONNX, naming the file', async () => {
    const path = config('not-onnx.yaml', `${camera}model: { path: "${tinyModels.notOnnx}", providers: [cpu] }\n`);
    const r = await cli('check', '--config', path);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`model: "${tinyModels.notOnnx}" is not a loadable ONNX model`);
  });

  it('refuses a model that breaks the contract and says what differs', async () => {
    const path = config('nchw.yaml', `${camera}model: { path: "${tinyModels.nchw}", providers: [cpu] }\n`);
    const r = await cli('check', '--config', path);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/does not follow the model contract: .*image/);
  });

  it('accepts a good config and model with check', async () => {
    const path = config('good.yaml', `${camera}model: { path: "${tinyModels.ok}", providers: [cpu] }\n`);
    const r = await cli('check', '--config', path);
    expect(r.stderr).not.toMatch(/"level":"(warn|error)"/);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('config and model OK: 1 camera(s), model tiny@1.0.0 on cpu\n');
  });

  it('runs a file camera to its end, prints one verdict line per frame and exits 0', async () => {
    const path = config(
      'run.yaml',
      `${camera}model: { path: "${tinyModels.ok}", providers: [cpu] }\nmqtt: { queue: { store: memory } }\nembeddedBroker: { port: 0, wsPort: 0 }\ndashboard: { enabled: false }\nlog: { level: warn }\n`,
    );
    const r = await cli('run', '--config', path, '--verdicts');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(testVideo.frames);
    expect(lines[0]).toMatch(/line1\/cam1 #0 +bolt +score +\d\.\d{4} \/ 0\.5000 (REJECT|ok) /);
  });

  it('stops on SIGTERM, publishes offline and exits 0', async () => {
    const path = config(
      'live.yaml',
      `cameras:\n  - { id: cam1, line: line1, product: bolt, source: "test:ball", fps: 20 }\nmodel: { path: "${tinyModels.ok}", providers: [cpu] }\nmqtt: { queue: { store: memory } }\nembeddedBroker: { port: 0, wsPort: 0 }\ndashboard: { enabled: false }\n`,
    );
    const child = spawn(process.execPath, [bin, 'run', '--config', path, '--verdicts'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    await new Promise<void>((resolve) => child.stdout.on('data', () => stdout.split('\n').length > 5 && resolve()));
    const stoppedAt = Date.now();
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    expect(stderr).toMatch(/"msg":"stopping","reason":"SIGTERM"/);
    expect(stderr).toMatch(/"msg":"stopped"/);
  });

  it('stops on a SIGTERM that comes while the model loads, publishes offline and exits 0', async () => {
    const { exit, stderr } = await runSignalled('early.yaml', [[modelLoading, 'SIGTERM']]);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(stderr).toMatch(/"msg":"stopping","reason":"SIGTERM"/);
    expect(stderr).toMatch(/"msg":"stopped"/);
  });

  it('reloads once started on a SIGHUP that comes while the model loads (a promotion then is not lost)', async () => {
    const { exit, stderr } = await runSignalled('early-reload.yaml', [
      [modelLoading, 'SIGHUP'],
      ['"msg":"settings reloaded"', 'SIGTERM'],
    ]);
    expect(exit).toEqual({ code: 0, signal: null });
    const order = ['SIGHUP during start-up', '"msg":"reloading on SIGHUP"', '"msg":"settings reloaded"', '"msg":"stopped"'].map((m) => stderr.indexOf(m));
    expect(order.every((at) => at >= 0), stderr).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });
});

describe('uniad-edge command line: one command table, strict options', () => {
  it('should refuse an option of another command, naming it and the command, with exit 2 and nothing started', async () => {
    const r = await cli('run', '--images', 'x');
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: 'uniad-edge: usage: run does not take --images; it takes --config FILE, --quiet, --verdicts and --log-level LEVEL (see uniad-edge --help)\n',
    });
    const calibrate = await cli('calibrate', '--seconds', '3');
    expect(calibrate.code).toBe(2);
    expect(calibrate.stderr).toMatch(/^uniad-edge: usage: calibrate does not take --seconds; it takes --model FILE/);
  });

  it('should refuse an unknown command, and options before the command, listing the commands', async () => {
    const names = 'run, check, doctor, demo, actuate, evaluate, evidence, shadow-report, calibrate, collect, train, models, rollout, consume or fleet';
    expect(await cli('frob')).toEqual({ code: 2, stdout: '', stderr: `uniad-edge: usage: unknown command "frob" (use ${names}) (see uniad-edge --help)\n` });
    const before = await cli('--config', 'x.yaml', 'run');
    expect(before.code).toBe(2);
    expect(before.stderr).toBe(`uniad-edge: usage: the command comes first, before --config (use ${names}) (see uniad-edge --help)\n`);
  });

  it("should print a command's own help with --help and exit 0", async () => {
    const r = await cli('calibrate', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage:\n {2}uniad-edge calibrate --model FILE --images DIR/);
    expect(r.stdout).toMatch(/^ {2}--target-false-reject R +the false-reject rate on normal images/m);
    expect(r.stdout).not.toMatch(/--seconds/);
  });

  it('should list every command of the table with --help, and print the version with --version', async () => {
    const help = await cli('--help');
    expect(help.code).toBe(0);
    for (const c of commands) expect(help.stdout).toContain(`\n  uniad-edge ${c.name} `);
    const version = await cli('--version');
    expect(version).toEqual({ code: 0, stdout: `${(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version}\n`, stderr: '' });
  });
});
