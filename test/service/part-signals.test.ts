/**
 * The PLC part signals in the running service, against real PLC servers: the PLC simulator's Modbus TCP part counter
 * (test/support/plc-simulator.ts) and a node-opcua server's counter node (test/support/opcua-plc.ts). Each part the
 * PLC counts is one part decision, named by the PLC's part id, as the actuator names it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { loggerFrom } from '../../src/log.js';
import { startService, type Service } from '../../src/service.js';
import type { PartVerdict } from '../../src/types.js';
import { tinyModels } from '../setup/tiny-model.js';
import { nodes, OpcuaPlc } from '../support/opcua-plc.js';
import { PlcSimulator } from '../support/plc-simulator.js';
import { subscribe, type Subscriber } from '../support/subscriber.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(done: () => boolean, describe: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${describe()}`);
    await sleep(50);
  }
}

describe('PLC part signals in the service', () => {
  let modbus: PlcSimulator;
  let opcua: OpcuaPlc;
  let service: Service;
  let sub: Subscriber;
  const linksUp: string[] = [];

  beforeAll(async () => {
    [modbus, opcua] = await Promise.all([PlcSimulator.start({ counterRegister: 0, partIdRegister: 1, recordRegister: 100, coil: 16, travelMs: 1000, firstPartId: 700 }), OpcuaPlc.start()]);
    const cfg = parseConfig({
      site: 'plc',
      node: 'plc',
      cameras: [
        { id: 'modcam', line: 'l1', product: 'bolt', source: 'test:white', fps: 10, parts: { signal: { kind: 'modbus', host: '127.0.0.1', port: modbus.port, counterRegister: 0, partIdRegister: 1, pollMs: 5 } } },
        { id: 'opccam', line: 'l1', product: 'bolt', source: 'test:black', fps: 10, threshold: 1.5, parts: { signal: { kind: 'opcua', endpoint: opcua.endpoint, counterNode: nodes.counter, partIdNode: nodes.partId, samplingMs: 0 } } },
      ],
      model: { path: tinyModels.ok, providers: ['cpu'] },
      mqtt: { queue: { store: 'memory' } },
      embeddedBroker: { port: 0, wsPort: 0 },
      dashboard: { enabled: false },
      archive: { enabled: false },
      log: { statsIntervalSeconds: 0 },
    });
    service = await startService(cfg, { logger: loggerFrom((_level, msg, fields) => msg.startsWith('plc: link up') && linksUp.push(String(fields?.['link']))) });
    sub = await subscribe(service.brokerUrl!, ['uniad/plc/+/+/part']);
    // each counter's first reading is its baseline: parts are counted from then on
    await until(() => linksUp.length === 2, () => `links up: ${linksUp.join(', ')}`);
    await sleep(500);
  }, 60_000);

  afterAll(async () => {
    await service?.stop('test end');
    await sub?.close();
    await Promise.all([modbus?.close(), opcua?.close()]);
  });

  const partsOf = (camera: string) => sub.json<PartVerdict>('part').filter((p) => p.camera === camera);

  it("should make one part of each step of a Modbus part counter, named by the PLC's part id", async () => {
    await modbus.run(3, 200);
    await until(() => partsOf('modcam').length === 3, () => JSON.stringify(partsOf('modcam')));
    expect(partsOf('modcam').map((p) => [p.id, p.reason, p.reject, p.verdictIds.length])).toEqual([
      ['modcam:part:700', 'anomaly', true, 1],
      ['modcam:part:701', 'anomaly', true, 1],
      ['modcam:part:702', 'anomaly', true, 1],
    ]);
    // timed by the reading that counted it: at most a poll (and a loaded machine's timer) after the PLC counted it
    for (const [i, p] of partsOf('modcam').entries()) expect(p.signalAt - modbus.parts[i]!.signalAt).toBeGreaterThanOrEqual(0);
  });

  it('should make one part of each change of an OPC UA counter node, named by its part-id node', async () => {
    opcua.part(5001);
    await sleep(300);
    opcua.part(5002);
    await until(() => partsOf('opccam').length === 2, () => JSON.stringify(partsOf('opccam')));
    expect(partsOf('opccam').map((p) => [p.id, p.partId, p.reason, p.reject, p.source])).toEqual([
      ['opccam:part:5001', '5001', 'ok', false, 'trigger'],
      ['opccam:part:5002', '5002', 'ok', false, 'trigger'],
    ]);
  });
});
