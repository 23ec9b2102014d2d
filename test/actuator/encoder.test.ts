/**
 * The encoder conveyor against the PLC simulator: its encoder register advances 10 counts a millisecond (wrapping at
 * 65536 every 6.5 s), a part is at the ejector 4000 counts after its signal, so the coil must come on at the signal
 * + 400 ms − the 50 ms lead, timed from the encoder's readings rather than from a configured speed. Window as in
 * modbus.test.ts, plus a poll of the encoder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlcSimulator } from '../support/plc-simulator.js';
import { actuatorBench, ejectionWindowMs, tempDir, until, type Bench } from './fixtures.js';

describe('the actuator on an encoder conveyor', () => {
  const temp = tempDir('encoder');
  let plc: PlcSimulator;
  let bench: Bench;

  beforeAll(async () => {
    plc = await PlcSimulator.start({ counterRegister: 0, partIdRegister: 1, recordRegister: 10, coil: 3, travelMs: 400, encoder: { register: 20, countsPerMs: 10 } });
    const address = { kind: 'modbus', host: '127.0.0.1', port: plc.port };
    bench = await actuatorBench(temp.dir, {
      signal: { ...address, counterRegister: 0, partIdRegister: 1, pollMs: 5 },
      conveyor: { ...address, kind: 'encoder', register: 20, pollMs: 5, countsToEjector: 4000 },
      output: { ...address, coil: 3, recordRegister: 10, leadMs: 50, pulseMs: 30 },
    });
  });

  afterAll(async () => {
    await bench?.close();
    await plc?.close();
    temp.rm();
  });

  it('should eject each part when the encoder has carried it to the ejector', async () => {
    const from = Date.now();
    await plc.run(3, 120);
    await until(() => plc.records.length === 3, () => JSON.stringify(plc.records));
    await new Promise((r) => setTimeout(r, 100));
    expect(plc.audit(0).undecided).toEqual([]);
    expect(plc.records.map((r) => [r.reason, r.reject, r.outputOk])).toEqual([
      ['fail-safe', true, true],
      ['fail-safe', true, true],
      ['fail-safe', true, true],
    ]);
    const ons = plc.coilChanges().filter(([at, on]) => at >= from && on);
    const errors = plc.parts.map((p, i) => ons[i]![0] - (p.signalAt + 400 - 50));
    console.log(`coil on vs. ejection moment by the encoder (ms): ${errors.join(', ')}`);
    for (const e of errors) expect(e).toBeGreaterThanOrEqual(ejectionWindowMs.early);
    for (const e of errors) expect(e).toBeLessThanOrEqual(ejectionWindowMs.late);
  });
});
