/**
 * The fault test that matters most (issue 21): parts flow from a PLC to the ejector through the real processes,
 * the service dies and the broker goes away on the way, and an independent observer counts what the ejector did.
 *
 * - The line: the PLC simulator (test/support/plc-simulator.ts, a Modbus TCP server) counts a part every 300 ms,
 *   knows when each reaches the ejector (1.5 s of belt after its signal), and logs every decision record the
 *   actuator writes to it: the observer.
 * - The service (`uniad-edge run`, a real process) polls the same part counter, fires a software trigger on
 *   Aravis's simulated GigE camera for each part (test/support/fake-gige.ts), scores the frame with the tiny model
 *   and publishes the part's decision through its disk queue to mosquitto. The camera's threshold passes every
 *   frame: a part the actuator passes was passed by the service, a reject is the fail-safe's (or a part whose
 *   trigger the camera could not take).
 * - The actuator (`uniad-edge actuate`, a real process) polls the same counter on its own, takes the decisions on
 *   its persistent session, and drives the coil and the record registers of the PLC.
 *
 * Faults, while the line runs: the service is SIGKILLed and started again; mosquitto is stopped and started again.
 * What must hold: every part that passed the ejector has exactly one decision record, none is undecided, none was
 * decided twice, and the service's decisions reached the ejector before, between and after the faults.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartVerdict } from '../../src/types.js';
import { metricValue } from '../actuator/fixtures.js';
import { repoRoot } from '../setup/paths.js';
import { tinyModels } from '../setup/tiny-model.js';
import { skipReason, startFakeGige, type FakeGige } from '../support/fake-gige.js';
import { freePort } from '../support/free-port.js';
import { Mosquitto } from '../support/mosquitto.js';
import { PlcSimulator, type SimRecord } from '../support/plc-simulator.js';
import { subscribe, type Subscriber } from '../support/subscriber.js';
import { startServiceProcess, writeConfig, type ServiceProcess } from './service-process.js';

const skip = skipReason();
const bin = join(repoRoot, 'bin/uniad-edge.js');
const travelMs = 1500;
const pitchMs = 300;
const prefix = 'uniad/e2e';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `done`; fails saying what `describe` says. */
async function until(done: () => boolean, describe: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${describe()}`);
    await sleep(50);
  }
}

describe.skipIf(skip !== undefined)(`parts from the PLC to the ejector through a killed service and a restarted broker${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dir: string;
  let camera: FakeGige;
  let broker: Mosquitto;
  let plc: PlcSimulator;
  let actuator: ChildProcess;
  let actuatorLog = '';
  let metricsPort: number;
  let serviceConfig: string;
  let service: ServiceProcess;
  let sub: Subscriber;
  let line: Promise<void> | undefined;
  let running = true;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uniad-parts-e2e-'));
    [camera, broker, plc] = await Promise.all([
      startFakeGige(),
      Mosquitto.start(),
      PlcSimulator.start({ counterRegister: 0, partIdRegister: 1, recordRegister: 100, coil: 16, travelMs }),
    ]);
    const signal = { kind: 'modbus', host: '127.0.0.1', port: plc.port, counterRegister: 0, partIdRegister: 1, pollMs: 5 };
    metricsPort = await freePort();
    const actuatorConfig = join(dir, 'actuator.yaml');
    writeFileSync(
      actuatorConfig,
      JSON.stringify({
        name: 'e2e-ejector',
        stateDir: join(dir, 'actuator-state'),
        mqtt: { url: broker.url, prefix },
        service: { node: 'e2e' },
        metrics: { port: metricsPort },
        stations: [{ camera: 'cam1', line: 'l1', signal, conveyor: { kind: 'belt', distanceMm: travelMs, speedMmPerS: 1000 }, output: { kind: 'modbus', host: '127.0.0.1', port: plc.port, coil: 16, recordRegister: 100, pulseMs: 40 } }],
      }),
    );
    actuator = spawn(process.execPath, [bin, 'actuate', '--config', actuatorConfig], { env: { ...process.env, STATE_DIRECTORY: dir }, stdio: ['ignore', 'ignore', 'pipe'] });
    actuator.stderr!.on('data', (d: Buffer) => (actuatorLog += d.toString()));
    serviceConfig = writeConfig(dir, 'service.yaml', {
      site: 'e2e',
      node: 'e2e',
      stateDir: join(dir, 'service-state'),
      cameras: [
        {
          id: 'cam1',
          line: 'l1',
          product: 'bolt',
          source: `genicam://${camera.id}`,
          // the tiny model scores the fake camera's frames below 1: every frame it sees passes
          threshold: 5,
          genicam: { pixelFormat: 'Mono8', roi: { x: 0, y: 0, width: 256, height: 256 }, trigger: { mode: 'software', timeoutMs: 500 } },
          parts: { signal, frameTimeoutMs: 1000 },
        },
      ],
      model: { path: tinyModels.ok, providers: ['cpu'], threads: 1, batchMaxWaitMs: 0 },
      mqtt: { url: broker.url },
      dashboard: { enabled: false },
      log: { statsIntervalSeconds: 0 },
    });
    // a persistent session: the broker restart below must not lose the messages of this independent count
    sub = await subscribe(broker.url, [`${prefix}/l1/cam1/part`], { clientId: 'parts-e2e-audit', clean: false });
  }, 60_000);

  afterAll(async () => {
    running = false;
    await line;
    await service?.stop();
    actuator?.kill('SIGTERM');
    await sub?.close();
    await Promise.all([plc?.close(), broker?.close(), camera?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const recordsSince = (t: number): SimRecord[] => plc.records.filter((r) => r.at >= t);
  const decidedSince = (t: number) => recordsSince(t).filter((r) => r.reason === 'decided');
  /** A part the service decided reached the ejector in time after `t`: the service's decisions flow. */
  const flowing = (t: number, what: string) => until(() => decidedSince(t).length >= 3, () => `${what}: ${recordsSince(t).length} records since, none decided by the service; service log: ${service.stderr().slice(-1500)}`, 40_000);

  it('should give every part that passed the ejector exactly one output decision, and none twice', async () => {
    service = startServiceProcess(serviceConfig, dir);
    await service.waitForLog('genicam camera opened, settings read back', 40_000);
    // the line runs from here to the end, the faults come while it does
    line = (async () => {
      while (running) {
        plc.part();
        await sleep(pitchMs);
      }
    })();
    const t0 = Date.now();
    await flowing(t0, 'at the start');
    await sleep(3000);

    const killedAt = Date.now();
    process.kill(service.pid, 'SIGKILL');
    await service.exited;
    await sleep(3000);
    service = startServiceProcess(serviceConfig, dir);
    const restartedAt = Date.now();
    await flowing(restartedAt, 'after the service was killed and started again');
    await sleep(2000);

    const brokerDownAt = Date.now();
    await broker.stop();
    await sleep(3000);
    await broker.start();
    const brokerUpAt = Date.now();
    await flowing(brokerUpAt, 'after the broker came back');
    await sleep(2000);

    running = false;
    await line;
    const lastPart = plc.parts.at(-1)!;
    await until(() => plc.records.some((r) => r.partId === lastPart.partId), () => `the last part ${lastPart.partId} has no record`, travelMs + 5000);
    await sleep(500);

    const audit = plc.audit(500);
    const records = plc.records;
    const decided = records.filter((r) => r.reason === 'decided');
    const failSafe = records.filter((r) => r.reason === 'fail-safe');
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const series = (name: string) => metricValue(metrics, `${name}{camera="cam1",line="l1"}`) ?? 0;
    const late = series('uniad_actuator_late_decisions_total');
    const duplicates = series('uniad_actuator_duplicate_decisions_total');
    const serviceParts = sub.json<PartVerdict>('part');
    console.log(
      `parts e2e: ${plc.parts.length} parts made, ${audit.passed} passed the ejector; records: ${decided.length} decided by the service ` +
        `(${decided.filter((r) => r.reject).length} rejects), ${failSafe.length} fail-safe; late decisions ${late}, duplicates ${duplicates}; ` +
        `undecided ${audit.undecided.length}, twice ${audit.twice.length}; the service published ${serviceParts.length} part decisions ` +
        `(${serviceParts.filter((p) => p.reason === 'no-frame').length} no-frame); faults: killed at +${killedAt - t0} ms, restarted +${restartedAt - t0}, ` +
        `broker down +${brokerDownAt - t0} .. +${brokerUpAt - t0}, run ${Date.now() - t0} ms`,
    );

    expect(audit.passed).toBe(plc.parts.length);
    expect(audit.undecided).toEqual([]);
    expect(audit.twice).toEqual([]);
    expect(audit.unknown).toEqual([]);
    expect(records).toHaveLength(plc.parts.length);
    // while the service was dead its parts were rejected by the actuator, never passed
    const deadParts = plc.parts.filter((p) => p.signalAt > killedAt + 200 && p.signalAt < restartedAt);
    expect(deadParts.length).toBeGreaterThan(5);
    for (const p of deadParts) expect(audit.records.get(p.partId)).toEqual([expect.objectContaining({ reject: true })]);
    // every pass came from the service's decision for that very part, which passed it
    const passedByService = new Set(serviceParts.filter((p) => !p.reject).map((p) => p.partId));
    for (const r of records.filter((x) => !x.reject)) {
      expect(r.reason, r.partId).toBe('decided');
      expect(passedByService.has(r.partId), r.partId).toBe(true);
    }
    expect(failSafe.length).toBeGreaterThan(0);
  }, 150_000);
});
