/**
 * The actuator against a real OPC UA server (node-opcua, test/support/opcua-plc.ts): part signals from a
 * subscription to the PLC's counter node (the id read from its part-id node), the Boolean reject node written true
 * at each rejected part's ejection moment and false a pulse later, and the decision record written to a String
 * node for every part. The window for the ejection moment is the Modbus test's (test/actuator/modbus.test.ts), as
 * the subscription reports a change within its 10 ms publishing interval.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partTopic } from '../../src/sinks/topics.js';
import { nodes, OpcuaPlc } from '../support/opcua-plc.js';
import { actuatorBench, ejectionWindowMs, partDecision, prefix, tempDir, until, type Bench } from './fixtures.js';

const travelMs = 800;
const leadMs = 400;

describe('the actuator on an OPC UA PLC', () => {
  const temp = tempDir('opcua');
  let plc: OpcuaPlc;
  let bench: Bench;

  beforeAll(async () => {
    plc = await OpcuaPlc.start();
    bench = await actuatorBench(
      temp.dir,
      {
        signal: { kind: 'opcua', endpoint: plc.endpoint, counterNode: nodes.counter, partIdNode: nodes.partId, samplingMs: 0 },
        conveyor: { kind: 'belt', distanceMm: travelMs, speedMmPerS: 1000 },
        output: { kind: 'opcua', endpoint: plc.endpoint, node: nodes.reject, recordNode: nodes.record, leadMs, pulseMs: 60 },
      },
      20_000,
    );
  }, 60_000);

  afterAll(async () => {
    await bench?.close();
    await plc?.close();
    temp.rm();
  });

  it('should write the reject node at a rejected part\'s ejection moment and a record for every part, fail-safe included', async () => {
    const from = Date.now();
    const first = plc.part(7001);
    setTimeout(() => void bench.service.publishAsync(partTopic(prefix, 'l1', 'cam1'), partDecision('7001', true, first), { qos: 1 }), 50);
    await new Promise((r) => setTimeout(r, 200));
    const second = plc.part(7002); // no decision: fail-safe
    await until(() => plc.writes.filter((w) => w.node === 'record').length === 2, () => JSON.stringify(plc.writes));
    await new Promise((r) => setTimeout(r, 100));

    const records = plc.writes.filter((w) => w.node === 'record').map((w) => JSON.parse(w.value as string) as Record<string, unknown>);
    expect(records).toMatchObject([
      { partId: '7001', id: 'cam1:part:7001', reject: true, reason: 'decided', decision: 'anomaly', outputOk: true },
      { partId: '7002', id: 'cam1:part:7002', reject: true, reason: 'fail-safe', slackMs: null, outputOk: true },
    ]);
    const rejects = plc.writes.filter((w) => w.node === 'reject' && w.at >= from);
    expect(rejects.map((w) => w.value)).toEqual([true, false, true, false]);
    const errors = [first, second].map((signalAt, i) => rejects[2 * i]!.at - (signalAt + travelMs - leadMs));
    console.log(`reject node true vs. ejection moment (ms): ${errors.join(', ')}`);
    for (const e of errors) expect(e).toBeGreaterThanOrEqual(ejectionWindowMs.early);
    for (const e of errors) expect(e).toBeLessThanOrEqual(ejectionWindowMs.late);
  });
});
