import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { notifyMessage, systemdNotifier, watchdogPeriodMs } from '../../src/systemd/notify.js';
import { repoRoot } from '../setup/paths.js';
import { tinyModels } from '../setup/tiny-model.js';

/** A real unix datagram listener (Python's socket module, not the addon under test) printing each datagram as JSON. */
const listenerScript = `
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps("listening"), flush=True)
while True:
    print(json.dumps(s.recv(4096).decode()), flush=True)
`;

interface Listener {
  readonly messages: string[];
  until(pred: (messages: string[]) => boolean, timeoutMs?: number): Promise<void>;
  child: ChildProcess;
}

async function listen(path: string): Promise<Listener> {
  const child = spawn('/usr/bin/python3', ['-c', listenerScript, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: string[] = [];
  const waiters: Array<() => void> = [];
  const lines = createInterface({ input: child.stdout! });
  const first = new Promise<void>((resolve) => lines.once('line', () => resolve()));
  await first;
  lines.on('line', (line) => {
    messages.push(JSON.parse(line) as string);
    for (const w of waiters.splice(0)) w();
  });
  // Checked at every datagram; a wait that fails says what arrived by then.
  const until = async (pred: (m: string[]) => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!pred(messages)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`notify listener: not within ${timeoutMs} ms; received ${JSON.stringify(messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };
  return { messages, until, child };
}

describe('systemd notify', () => {
  let dir: string | undefined;
  let listener: Listener | undefined;
  afterEach(() => {
    listener?.child.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('should send READY, STATUS, EXTEND_TIMEOUT_USEC and periodic WATCHDOG datagrams a real listener receives', async () => {
    dir = mkdtempSync(join(tmpdir(), 'uniad-notify-'));
    const socketPath = join(dir, 'notify');
    listener = await listen(socketPath);
    const notifier = systemdNotifier(silentLogger, { NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '200000' });
    expect(notifier.enabled).toBe(true);
    expect(notifier.watchdogMs).toBe(200);
    notifier.extendTimeout(90_000, 'loading model');
    notifier.ready('inspecting 2 cameras');
    const stop = notifier.startWatchdog();
    await listener.until((m) => m.filter((x) => x === 'WATCHDOG=1').length >= 2);
    stop();
    notifier.stopping('stopping: SIGTERM');
    await listener.until((m) => m.some((x) => x.startsWith('STOPPING=1')));
    notifier.close();
    expect(listener.messages[0]).toBe('EXTEND_TIMEOUT_USEC=90000000\nSTATUS=loading model');
    expect(listener.messages[1]).toBe('READY=1\nSTATUS=inspecting 2 cameras');
    expect(listener.messages.at(-1)).toBe('STOPPING=1\nSTATUS=stopping: SIGTERM');
  });

  it('should not ping the watchdog while the service says it is not alive', async () => {
    dir = mkdtempSync(join(tmpdir(), 'uniad-notify-'));
    const socketPath = join(dir, 'notify');
    listener = await listen(socketPath);
    const notifier = systemdNotifier(silentLogger, { NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '100000' });
    let alive = false;
    let checks = 0;
    const stop = notifier.startWatchdog(() => {
      checks++;
      if (checks === 3) alive = true;
      return alive;
    });
    await listener.until((m) => m.includes('WATCHDOG=1'));
    stop();
    notifier.close();
    // Two checks said "not alive" and sent nothing; the first ping came from the third.
    expect(checks).toBeGreaterThanOrEqual(3);
    expect(listener.messages.filter((m) => m === 'WATCHDOG=1').length).toBeLessThanOrEqual(checks - 2);
  });

  it('should do nothing outside systemd, and keep STATUS on one line', () => {
    const notifier = systemdNotifier(silentLogger, {});
    expect(notifier.enabled).toBe(false);
    notifier.ready('x');
    expect(notifyMessage({ STATUS: 'a\nREADY=1' })).toBe('STATUS=a READY=1');
  });

  it('should take the watchdog period only when it is meant for this process', () => {
    expect(watchdogPeriodMs({ WATCHDOG_USEC: '20000000' }, 42)).toBe(20_000);
    expect(watchdogPeriodMs({ WATCHDOG_USEC: '20000000', WATCHDOG_PID: '42' }, 42)).toBe(20_000);
    expect(watchdogPeriodMs({ WATCHDOG_USEC: '20000000', WATCHDOG_PID: '41' }, 42)).toBeUndefined();
    expect(watchdogPeriodMs({}, 42)).toBeUndefined();
  });

  it('should have `uniad-edge run` send EXTEND_TIMEOUT while loading, READY once started, WATCHDOG while running, STOPPING on SIGTERM', async () => {
    dir = mkdtempSync(join(tmpdir(), 'uniad-notify-'));
    const socketPath = join(dir, 'notify');
    listener = await listen(socketPath);
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `cameras:\n  - { id: cam1, line: l1, product: bolt, source: "test:ball", fps: 10 }\nmodel: { path: "${tinyModels.ok}", providers: [cpu] }\n` +
        `mqtt: { queue: { store: memory }, statsIntervalSeconds: 0.5 }\nembeddedBroker: { port: 0, wsPort: 0 }\ndashboard: { enabled: false }\n`,
    );
    const child = spawn(process.execPath, [join(repoRoot, 'bin/uniad-edge.js'), 'run', '--config', config], {
      cwd: dir,
      env: { ...process.env, NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '1000000' },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    let exit: unknown;
    try {
      await listener.until((m) => m.includes('WATCHDOG=1') && m.some((x) => x.startsWith('STATUS=inspecting 1 camera(s) on cpu')), 45_000);
      child.kill('SIGTERM');
      exit = await new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      await listener.until((m) => m.some((x) => x.startsWith('STOPPING=1')));
    } finally {
      child.kill('SIGKILL');
    }
    // a clean stop, not the shutdown timer: the notify socket is closed once the service stopped
    expect(exit).toEqual({ code: 0, signal: null });
    const m = listener.messages;
    const ready = m.findIndex((x) => x.startsWith('READY=1'));
    expect(m[0]).toMatch(/^EXTEND_TIMEOUT_USEC=90000000\nSTATUS=loading model /);
    expect(m[ready]).toBe('READY=1\nSTATUS=started 1 camera(s), model tiny@1.0.0 on cpu');
    // The watchdog pings only after READY; STOPPING is the last word.
    expect(m.indexOf('WATCHDOG=1')).toBeGreaterThan(ready);
    expect(m.at(-1)).toBe('STOPPING=1\nSTATUS=stopping: SIGTERM');
  }, 60_000);
});
