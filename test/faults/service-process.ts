/**
 * The service as it runs in production: `node bin/uniad-edge.js run --config FILE` as a child process, its JSON log
 * lines (stderr) parsed as they come, its RSS readable from /proc, stopped by SIGTERM like systemd does.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { repoRoot } from '../setup/paths.js';

export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  readonly pid: number;
  readonly logs: LogLine[];
  /** Everything written on stderr, raw. */
  stderr(): string;
  readonly exited: Promise<Exit>;
  /** The first log line whose msg is `msg` (and that `match` accepts), waiting for it if need be. */
  waitForLog(msg: string, timeoutMs?: number, match?: (line: LogLine) => boolean): Promise<LogLine>;
  /** Resident memory in MB, from /proc/<pid>/status; null once the process is gone. */
  rssMb(): number | null;
  /** SIGTERM, then the exit and how long it took. */
  stop(): Promise<Exit & { ms: number }>;
}

const bin = join(repoRoot, 'bin/uniad-edge.js');

/** Writes `config` as YAML into `dir`; returns its path. */
export function writeConfig(dir: string, name: string, config: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, stringify(config));
  return path;
}

/**
 * Starts the service on `configPath`, with `extraEnv` added to its environment and `nodeArgs` given to Node. Its state folder (lock, queue, dead letters) is the config's `stateDir`, else a
 * new folder under `cwd` (systemd's $STATE_DIRECTORY), so side-by-side services do not share a lock by accident.
 */
export function startServiceProcess(configPath: string, cwd: string, extraEnv: NodeJS.ProcessEnv = {}, nodeArgs: readonly string[] = []): ServiceProcess {
  const env = { ...process.env, STATE_DIRECTORY: mkdtempSync(join(cwd, 'state-')), ...extraEnv };
  const child = spawn(process.execPath, [...nodeArgs, bin, 'run', '--config', configPath, '--quiet'], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const logs: LogLine[] = [];
  let raw = '';
  let partial = '';
  let waiters: (() => void)[] = [];
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    raw += text;
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        // not a log line (a native library writing to stderr)
      }
    }
    for (const w of waiters) w();
  });
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const waitForLog = (msg: string, timeoutMs = 30_000, match: (line: LogLine) => boolean = () => true) =>
    new Promise<LogLine>((resolve, reject) => {
      const find = () => logs.find((l) => l.msg === msg && match(l));
      const check = () => {
        const line = find();
        if (line === undefined) return;
        done();
        resolve(line);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no log "${msg}" within ${timeoutMs} ms; stderr:\n${raw.slice(-3000)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters = waiters.filter((w) => w !== check);
      };
      waiters.push(check);
      check();
    });

  return {
    pid: child.pid!,
    logs,
    stderr: () => raw,
    exited,
    waitForLog,
    rssMb: () => {
      try {
        const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return kb ? Number(kb[1]) / 1024 : null;
      } catch {
        return null;
      }
    },
    stop: async () => {
      const t0 = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const exit = await exited;
      return { ...exit, ms: Date.now() - t0 };
    },
  };
}
