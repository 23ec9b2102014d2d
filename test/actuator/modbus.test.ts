/**
 * The actuator against a real Modbus TCP server (the PLC simulator, test/support/plc-simulator.ts) and a real broker
 * (the embedded aedes one): part signals from the PLC's counter register, decisions over MQTT, the reject coil
 * pulsed at each rejected part's ejection moment and a decision record written for every part.
 *
 * Timing: the coil must come on at the part's signal + its travel − the output's lead time. The actuator sees the
 * counter up to one poll (5 ms) after the PLC stepped it, and a write takes a loopback round trip (~1 ms); Node's
 * timers do not fire early by more than a millisecond. The window (fixtures.ts `ejectionWindowMs`) allows for a loaded CI machine,
 * while a lead time not subtracted (400 ms), or a travel mis-computed, lands far outside it. The measured error
 * is printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partTopic } from '../../src/sinks/topics.js';
import { PlcSimulator, type SimPart } from '../support/plc-simulator.js';
import { actuatorBench, ejectionWindowMs, metricValue, partDecision, prefix, sleep, tempDir, until, type Bench } from './fixtures.js';

const travelMs = 1000;
const leadMs = 400;
const pulseMs = 40;

describe('the actuator on a Modbus PLC', () => {
  const temp = tempDir('modbus');
  let plc: PlcSimulator;
  let bench: Bench;

  beforeAll(async () => {
    plc = await PlcSimulator.start({ counterRegister: 0, partIdRegister: 1, recordRegister: 10, coil: 3, travelMs, firstPartId: 65_534 });
    const address = { kind: 'modbus', host: '127.0.0.1', port: plc.port };
    bench = await actuatorBench(temp.dir, {
      signal: { ...address, counterRegister: 0, partIdRegister: 1, pollMs: 5 },
      conveyor: { kind: 'belt', distanceMm: travelMs, speedMmPerS: 1000 },
      output: { ...address, coil: 3, recordRegister: 10, leadMs, pulseMs },
    });
    // the start-up hold ends with a write of the coil off, which may still be on its way when the bench says ready
    await until(() => (plc.coilChanges().at(-1)?.[1] ?? false) === false, () => `coil: ${JSON.stringify(plc.coilChanges())}`);
  });

  afterAll(async () => {
    await bench?.close();
    await plc?.close();
    temp.rm();
  });

  it('should pulse the coil at each rejected part\'s ejection moment, reject a part without a decision, and record one decision a part', async () => {
    const publish = (p: SimPart, reject: boolean) => bench.service.publishAsync(partTopic(prefix, 'l1', 'cam1'), partDecision(p.partId, reject, p.signalAt), { qos: 1 });
    const decided = new Map<string, boolean>();
    const late: SimPart[] = [];
    const from = Date.now();
    // six parts, 150 ms apart; the ids wrap from 65534 over 0 (uint16)
    await plc.run(6, 150, (p) => {
      const n = plc.parts.length;
      if (n === 5) return; // no decision: fail-safe
      if (n === 6) return void late.push(p); // its decision comes after its ejection moment
      decided.set(p.partId, n % 2 === 1);
      setTimeout(() => {
        void publish(p, n % 2 === 1);
        // at-least-once delivery: the same decision again
        if (n === 2) setTimeout(() => void publish(p, false), 20);
      }, 50);
    });
    await until(() => plc.records.length >= 6, () => `${plc.records.length} records: ${JSON.stringify(plc.records)}`);
    await publish(late[0]!, false);
    // the output fires a lead time before a part reaches the ejector: wait until the last one has passed it
    await sleep(leadMs + 300);

    const audit = plc.audit(100);
    expect(audit.passed).toBe(6);
    expect(audit.undecided).toEqual([]);
    expect(audit.twice).toEqual([]);
    expect(audit.unknown).toEqual([]);
    expect(plc.parts.map((p) => p.partId)).toEqual(['65534', '65535', '0', '1', '2', '3']);

    const record = (p: SimPart) => audit.records.get(p.partId)![0]!;
    for (const [partId, reject] of decided) expect(audit.records.get(partId)![0]).toMatchObject({ reject, reason: 'decided', outputOk: reject ? true : undefined });
    expect(record(plc.parts[4]!)).toMatchObject({ reject: true, reason: 'fail-safe', slackMs: undefined });
    expect(record(plc.parts[5]!)).toMatchObject({ reject: true, reason: 'fail-safe' });
    expect(record(plc.parts[0]!).slackMs).toBeGreaterThan(0);

    // the coil: on at each reject's moment, off a pulse later, in that order
    const changes = plc.coilChanges().filter(([at]) => at >= from);
    const rejects = plc.parts.filter((p) => decided.get(p.partId) !== false);
    expect(changes.map(([, on]) => on)).toEqual(rejects.flatMap(() => [true, false]));
    const errors = rejects.map((p, i) => changes[2 * i]![0] - (p.signalAt + travelMs - leadMs));
    const pulses = rejects.map((_, i) => changes[2 * i + 1]![0] - changes[2 * i]![0]);
    console.log(`coil on vs. ejection moment (ms): ${errors.join(', ')}; pulses (ms): ${pulses.join(', ')}`);
    for (const e of errors) expect(e).toBeGreaterThanOrEqual(ejectionWindowMs.early);
    for (const e of errors) expect(e).toBeLessThanOrEqual(ejectionWindowMs.late);
    for (const p of pulses) expect(p).toBeGreaterThanOrEqual(pulseMs - 2);

    const text = await (await fetch(`${bench.actuator.httpUrl}/metrics`)).text();
    const labels = '{camera="cam1",line="l1"}';
    expect(metricValue(text, `uniad_actuator_fail_safe_rejects_total${labels}`)).toBe(2);
    expect(metricValue(text, `uniad_actuator_late_decisions_total${labels}`)).toBe(1);
    expect(metricValue(text, `uniad_actuator_duplicate_decisions_total${labels}`)).toBe(1);
    expect(metricValue(text, `uniad_actuator_part_signals_total${labels}`)).toBe(6);
    expect(metricValue(text, `uniad_actuator_parts_total{camera="cam1",line="l1",decision="reject",reason="decided"}`)).toBe(2);
    expect(metricValue(text, `uniad_actuator_parts_total{camera="cam1",line="l1",decision="pass",reason="decided"}`)).toBe(2);
    expect(metricValue(text, `uniad_actuator_decision_slack_seconds_count${labels}`)).toBe(5);
    expect(metricValue(text, `uniad_actuator_plc_link_up{camera="cam1",line="l1",link="signal"}`)).toBe(1);
  });
});
