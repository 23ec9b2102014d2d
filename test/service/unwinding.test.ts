/**
 * A failure at each step of the start unwinds what had started (issue 19): no listener, socket, worker thread, child
 * process or timer is left behind, the status the sink had put on the broker ends `offline`, and the real service
 * process exits by itself with the error's code. The dashboard, the shadow model, the evidence archive and the offline
 * queue's disk are the parts whose failure does not stop the line (issue 20): it runs without them, and stops as clean.
 *
 * Each failure is a real one: a missing model file, a port already taken, a TLS file that is not there, a thresholds
 * file that is not JSON, a CSI camera on a machine without the Jetson GStreamer elements; a file where a folder belongs.
 */
import { readdirSync, readFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { ErrorCode } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { startService } from '../../src/service.js';
import { statusTopic } from '../../src/sinks/topics.js';
import { installedElements } from '../../src/sources/gst-elements.js';
import type { Decision } from '../../src/types.js';
import { startServiceProcess, writeConfig } from '../faults/service-process.js';
import { tinyModels } from '../setup/tiny-model.js';
import { Mosquitto } from '../support/mosquitto.js';
import { subscribe } from '../support/subscriber.js';

const model = { path: tinyModels.ok, providers: ['cpu'], threads: 1 };
const ball = { id: 'ball', line: 'line1', product: 'bolt', source: 'test:ball', fps: 10 };
const csi = { id: 'csi', line: 'line1', product: 'bolt', source: 'csi://0' };
/** Topics start with it when the config names none. */
const defaultPrefix = parseConfig({ cameras: [ball], model }).mqtt.prefix;
const jetsonElements = installedElements(['nvarguscamerasrc', 'nvvidconv']).size === 2;

interface Place {
  /** A fresh folder of this run. */
  readonly dir: string;
  /** The external mosquitto. */
  readonly mqttUrl: string;
  /** A loopback port a listener of the test holds. */
  readonly takenPort: number;
}

interface Step {
  /** The part whose start fails. */
  readonly part: string;
  readonly code: ErrorCode;
  readonly config: (at: Place) => Record<string, unknown>;
  /** On the external broker: the sink had started, so the status it put there must end `offline`. */
  readonly external: boolean;
}

/** A file where the service expects a folder. */
function fileAt(path: string): string {
  writeFileSync(path, 'not a folder\n');
  return path;
}

/** A state folder whose `archive` is a file. */
function stateWithArchiveFile(dir: string): string {
  const state = join(dir, 'state-archive');
  mkdirSync(state);
  fileAt(join(state, 'archive'));
  return state;
}

/** Every part before the failing one runs: the dashboard listens, a shadow model has its worker, the archive its writer. */
const everyPart = (_at: Place) => ({ dashboard: { host: '127.0.0.1', port: 0 }, shadow: { path: tinyModels.ok, providers: ['cpu'], threads: 1 } });
const embedded = { embeddedBroker: { port: 0, wsPort: 0 }, dashboard: { enabled: false } };
const external = (at: Place) => ({ mqtt: { url: at.mqttUrl, queue: { store: 'memory' } } });

/** In start order (service.ts). */
const steps: Step[] = [
  { part: 'model', code: 'MODEL_READ', external: false, config: (at) => ({ cameras: [ball], model: { ...model, path: join(at.dir, 'missing.onnx') }, ...embedded }) },
  { part: 'broker', code: 'BROKER_LISTEN', external: false, config: (at) => ({ cameras: [ball], model, ...embedded, embeddedBroker: { port: at.takenPort, wsPort: 0 } }) },
  { part: 'sink', code: 'MQTT_TLS_FILE', external: false, config: (at) => ({ cameras: [ball], model, dashboard: { enabled: false }, mqtt: { url: at.mqttUrl, ca: join(at.dir, 'missing-ca.pem') } }) },
  {
    part: 'control',
    code: 'THRESHOLDS_FILE',
    external: true,
    config: (at) => ({ cameras: [ball], model: { ...model, thresholdsFile: fileAt(join(at.dir, 'thresholds.json')) }, ...external(at), ...everyPart(at) }),
  },
  { part: 'cameras', code: 'SOURCE_NVMM', external: true, config: (at) => ({ cameras: [ball, csi], model, ...external(at), ...everyPart(at) }) },
];

/** What keeps a process alive or busy (listeners, sockets, child processes, timers, pending requests), and its worker threads. */
function resources(): string[] {
  const report = process.report.getReport() as unknown as { workers: unknown[] };
  return [...process.getActiveResourcesInfo(), ...report.workers.map(() => 'worker thread')];
}

/** What is there now and was not in `before` (counted: a second timer is new beside a first). */
function added(before: readonly string[]): string[] {
  const left = [...before];
  return resources().filter((r) => {
    const i = left.indexOf(r);
    if (i >= 0) left.splice(i, 1);
    return i < 0;
  });
}

/** Waits (up to 10 s) for what came after `before` to be gone; then none may be left. */
async function expectBackTo(before: readonly string[], what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (added(before).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(added(before), `${what}: left behind`).toEqual([]);
}

/** The status retained for `node` on the broker now, read by a subscriber of its own; undefined when there is none. */
async function retainedStatus(url: string, prefix: string, node: string): Promise<string | undefined> {
  const sub = await subscribe(url, [statusTopic(prefix, node)]);
  try {
    // a retained message comes right after the subscription is acknowledged
    const got = await sub.waitFor(1, '', 2000).catch(() => []);
    return got.length === 0 ? undefined : (JSON.parse(got[0]!.payload.toString()) as { state: string }).state;
  } finally {
    await sub.close();
  }
}

/** The retained status is `offline` once the sink had connected (and had said `online`), else there is none: never left `online`. */
async function expectStatusEnded(url: string, prefix: string, node: string, connected: boolean, what: string): Promise<void> {
  const status = await retainedStatus(url, prefix, node);
  console.log(`${what}; the sink ${connected ? 'had connected' : 'had not connected yet'}; retained status ${status ?? 'none'}`);
  expect(status).toBe(connected ? 'offline' : undefined);
}

/** Every process whose environment holds `marker` (a service and anything it started). */
function processesWith(marker: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(marker);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

describe('a failure at each start step', () => {
  let dir: string;
  let mosquitto: Mosquitto;
  let taken: Server;
  let place: () => Place;
  beforeAll(async () => {
    // The process's own stdout and stderr are made on first use (a worker thread's output is piped to them) and kept
    // for good: made here, they are in every `before`, not counted as something a service left.
    void [process.stdout.fd, process.stderr.fd];
    dir = mkdtempSync(join(tmpdir(), 'uniad-unwinding-'));
    mosquitto = await Mosquitto.start();
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    let n = 0;
    place = () => {
      const run = join(dir, `run-${n++}`);
      mkdirSync(run);
      return { dir: run, mqttUrl: mosquitto.url, takenPort: (taken.address() as AddressInfo).port };
    };
  });
  afterAll(async () => {
    await new Promise((resolve) => taken?.close(resolve));
    await mosquitto?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('in the process', () => {
    it.for(steps)('should unwind everything when the $part fails to start ($code)', async ({ part, code, config, external: onExternal }, { skip }) => {
      if (part === 'cameras' && jetsonElements) skip('a CSI camera starts on a Jetson');
      const at = place();
      const node = `unwind-${part}`;
      const cfg = parseConfig({ node, stateDir: join(at.dir, 'state'), ...config(at) });
      const logs: { msg: string }[] = [];
      const logger = createLogger('info', 'test', (line) => void logs.push(JSON.parse(line)));
      const before = resources();
      await expect(startService(cfg, { logger })).rejects.toMatchObject({ code });
      await expectBackTo(before, `after the ${part} failed`);
      const connected = logs.some((l) => l.msg === 'mqtt: connected');
      if (onExternal) await expectStatusEnded(at.mqttUrl, cfg.mqtt.prefix, node, connected, `${part}: ${code}`);
      expect(logs.filter((l) => l.msg === 'stopping')).toEqual(part === 'model' ? [] : [expect.objectContaining({ reason: `${part} did not start` })]);
    });

    it.each([
      { part: 'dashboard', config: (at: Place) => ({ dashboard: { host: '127.0.0.1', port: at.takenPort } }), says: 'dashboard not started' },
      { part: 'shadow', config: (at: Place) => ({ shadow: { path: join(at.dir, 'missing.onnx'), providers: ['cpu'] } }), says: 'shadow model not started; the line runs without it' },
      { part: 'archive', config: (at: Place) => ({ stateDir: stateWithArchiveFile(at.dir) }), says: 'evidence archive off: its folder cannot be read' },
      {
        part: 'queue-disk',
        config: (at: Place) => ({ mqtt: { url: at.mqttUrl, queue: { store: 'disk', dir: fileAt(join(at.dir, 'queue-file')) } } }),
        says: 'mqtt offline queue: the disk cannot be written; queueing in memory',
      },
    ])('should run the line without the $part when it fails to start, and stop as clean', async ({ part, config, says }) => {
      const at = place();
      const node = `unwind-${part}`;
      const cfg = parseConfig({ node, stateDir: join(at.dir, 'state'), cameras: [ball], model, ...external(at), ...config(at) });
      const logs: { msg: string }[] = [];
      const logger = createLogger('info', 'test', (line) => void logs.push(JSON.parse(line)));
      const before = resources();
      let decided!: () => void;
      const decision = new Promise<void>((resolve) => (decided = resolve));
      const service = await startService(cfg, { logger, onDecision: (_d: Decision) => decided() });
      expect(logs.map((l) => l.msg)).toContain(says);
      await decision; // the line inspects
      await service.stop('test end');
      await expectBackTo(before, `after a stop without the ${part}`);
      expect(await retainedStatus(at.mqttUrl, cfg.mqtt.prefix, node)).toBe('offline');
    });
  });

  describe('the service process', () => {
    it.for(steps)('should exit by itself with code 1, leaving no process, when the $part fails to start ($code)', async ({ part, code, config, external: onExternal }, { skip }) => {
      if (part === 'cameras' && jetsonElements) skip('a CSI camera starts on a Jetson');
      const at = place();
      const marker = `UNIAD_UNWINDING_RUN=${at.dir}`;
      // as under systemd: a notify socket is open (nothing listens; what matters is that it does not hold the process)
      const svc = startServiceProcess(writeConfig(at.dir, 'config.yaml', { node: `unwind-cli-${part}`, ...config(at) }), at.dir, {
        UNIAD_UNWINDING_RUN: at.dir,
        NOTIFY_SOCKET: join(at.dir, 'notify'),
      });
      const t0 = Date.now();
      try {
        const exit = await Promise.race([svc.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${part}: still running after 30 s:\n${svc.stderr().slice(-3000)}`)), 30_000))]);
        console.log(`${part}: ${code}, exit ${exit.code} ${Date.now() - t0} ms after the spawn`);
        expect(exit).toEqual({ code: 1, signal: null });
        expect(svc.stderr()).toContain(`\nuniad-edge: `);
        expect(svc.stderr()).not.toMatch(/unexpected error|unhandled|uncaught|shutdown did not finish/i);
        expect(processesWith(marker)).toEqual([]);
        const connected = svc.logs.some((l) => l.msg === 'mqtt: connected');
        if (onExternal) await expectStatusEnded(at.mqttUrl, defaultPrefix, `unwind-cli-${part}`, connected, `${part}: ${code}, the process`);
      } finally {
        // a failed run must not leave its processes to the next tests
        for (const pid of processesWith(marker)) process.kill(pid, 'SIGKILL');
      }
    });
  });
});
