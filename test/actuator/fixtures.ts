/** What the actuator's tests share: a config for one station, a bench to run it on, a part decision as the service publishes it, polling. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { startActuator, type Actuator } from '../../src/actuator/actuator.js';
import { parseActuatorConfig } from '../../src/actuator/config/load.js';
import type { ActuatorConfig } from '../../src/actuator/config/schema.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { silentLogger } from '../../src/log.js';
import { partDecisionId } from '../../src/part-id.js';

export const prefix = 'uniad/test';

/**
 * How far an output may fire from its computed ejection moment in these tests. Early: Node's timers never fire early
 * by more than a millisecond, and the counter is seen at most one 5 ms poll late (which only delays). Late: a poll,
 * a loopback round trip and a CI box loaded by the rest of the suite (95 ms was seen at load 7 on 2 cores). The lead
 * times the tests use (400 ms) are larger than the late bound, so a lead time not subtracted still fails.
 */
export const ejectionWindowMs = { early: -3, late: 250 } as const;

/** A temporary folder, removed by `rm`. */
export function tempDir(name: string): { dir: string; rm: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `uniad-actuator-${name}-`));
  return { dir, rm: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A valid actuator config of `station` (its camera cam1 on line l1 unless it says), state in `stateDir`. */
export function actuatorConfig(stateDir: string, brokerUrl: string, station: Record<string, unknown>, extra: Record<string, unknown> = {}): ActuatorConfig {
  return parseActuatorConfig(
    {
      name: 'test-ejector',
      stateDir,
      mqtt: { url: brokerUrl, prefix },
      metrics: { port: 0 },
      stations: [{ camera: 'cam1', line: 'l1', ...station }],
      ...extra,
    },
    stateDir,
    {},
  );
}

/** A part decision as the service publishes it on `<prefix>/<line>/<camera>/part` (MQTT contract). */
export function partDecision(partId: string, reject: boolean, signalAt?: number, camera = 'cam1', line = 'l1'): string {
  return JSON.stringify({
    id: partDecisionId(camera, partId),
    partId,
    camera,
    line,
    product: 'washer',
    verdictIds: [`${camera}-run-1`],
    reject,
    reason: reject ? 'anomaly' : 'ok',
    score: reject ? 0.9 : 0.1,
    threshold: 0.5,
    signalAt,
    decidedAt: Date.now(),
    model: 'test@1',
    source: 'trigger',
  });
}

/** Waits until `done()` holds, polling; fails after `timeoutMs` with what `describe()` says. */
export async function until(done: () => boolean, describe: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${describe()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A metric's value in Prometheus text, e.g. `uniad_actuator_late_decisions_total{camera="cam1",line="l1"}`. */
export function metricValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

export interface Bench {
  readonly broker: EmbeddedBroker;
  readonly actuator: Actuator;
  /** A client standing in for the service: it publishes decisions. */
  readonly service: MqttClient;
  close(): Promise<void>;
}

/**
 * The embedded broker, the actuator with one station started on it, past its start-up hold and with its output
 * confirmed off (its PLC is the caller's), and a client for the service's side.
 */
export async function actuatorBench(stateDir: string, station: Record<string, unknown>, holdTimeoutMs = 5000): Promise<Bench> {
  const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, wsPort: 0 }, silentLogger);
  const actuator = await startActuator(actuatorConfig(stateDir, broker.url, station), { logger: silentLogger });
  const service = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  const station0 = () => actuator.state().stations[0]!;
  // past the hold, and its release written: a write still on its way would land among the test's own
  await until(() => Object.values(station0().links).every(Boolean) && !station0().holding && station0().output === 'off', () => JSON.stringify(actuator.state()), holdTimeoutMs);
  return {
    broker,
    actuator,
    service,
    close: async () => {
      await service.endAsync(true);
      await actuator.stop(0);
      await broker.close();
    },
  };
}
