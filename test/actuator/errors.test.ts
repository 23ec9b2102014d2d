/** The actuator's error codes, each provoked the way a plant meets it, with what its message tells. */
import { createServer, type AddressInfo } from 'node:net';
import modbusSerial from 'modbus-serial';
import { afterAll, describe, expect, it } from 'vitest';
import { ActuatorMetrics } from '../../src/actuator/metrics.js';
import { serveActuatorHttp } from '../../src/actuator/http.js';
import { silentLogger } from '../../src/log.js';
import { ModbusLink } from '../../src/plc/modbus-link.js';
import { OpcuaLink } from '../../src/plc/opcua-link.js';
import { freePort } from '../support/free-port.js';
import { nodes, OpcuaPlc } from '../support/opcua-plc.js';
import { tempDir, until } from './fixtures.js';

const temp = tempDir('errors');
afterAll(() => temp.rm());

describe('PLC errors', () => {
  it('should give PLC_UNREACHABLE for a Modbus PLC that refuses the connection, and take the link down', async () => {
    const link = new ModbusLink({ host: '127.0.0.1', port: await freePort(), unitId: 1, timeoutMs: 200 }, silentLogger);
    await expect(link.readHoldingRegisters(0, 2)).rejects.toMatchObject({ code: 'PLC_UNREACHABLE', message: expect.stringMatching(/plc: modbus 127\.0\.0\.1:\d+ unit 1 cannot be reached: .*ECONNREFUSED/) });
    expect(link.state.isUp).toBe(false);
    // the next attempt waits for the retry period instead of hammering a dead PLC
    await expect(link.writeCoil(0, true)).rejects.toMatchObject({ code: 'PLC_UNREACHABLE', message: expect.stringContaining('the next attempt in') });
    await link.close();
  });

  it('should give MODBUS_EXCEPTION naming the address a PLC refuses, and keep the link up', async () => {
    const port = await freePort();
    // a PLC whose register map ends before 10 answers a write there with exception 2 (illegal data address)
    const illegalAddress = () => {
      throw Object.assign(new Error('illegal data address'), { modbusErrorCode: 2 });
    };
    const server = new modbusSerial.ServerTCP({ setCoil: () => undefined, setRegisterArray: illegalAddress }, { host: '127.0.0.1', port, unitID: 1 });
    await new Promise<void>((resolve) => server.on('initialized', () => resolve()));
    const link = new ModbusLink({ host: '127.0.0.1', port, unitId: 1, timeoutMs: 500 }, silentLogger);
    await link.writeCoil(3, true);
    await expect(link.writeRegisters(10, [1, 2])).rejects.toMatchObject({ code: 'MODBUS_EXCEPTION', message: expect.stringContaining('refused holding registers 10..11: Modbus exception 2') });
    expect(link.state.isUp).toBe(true);
    await link.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('should give OPCUA_NODE for a write to a node the PLC does not have', async () => {
    const plc = await OpcuaPlc.start();
    const link = new OpcuaLink({ endpoint: plc.endpoint, securityMode: 'None', securityPolicy: 'Basic256Sha256', pkiDir: `${temp.dir}/pki` }, silentLogger);
    try {
      await until(() => link.state.isUp, () => 'no OPC UA session', 20_000);
      await link.write(nodes.reject, { type: 'Boolean', value: true });
      await expect(link.write('ns=1;s=Line1.NoSuchNode', { type: 'Boolean', value: true })).rejects.toMatchObject({ code: 'OPCUA_NODE', message: expect.stringContaining('OPC UA node "ns=1;s=Line1.NoSuchNode": write: BadNodeIdUnknown') });
    } finally {
      await link.close();
      await plc.close();
    }
  }, 60_000);
});

describe('the HTTP port', () => {
  it('should give METRICS_LISTEN for a port that is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    const metrics = new ActuatorMetrics([], () => ({ mqttConnected: false, stations: [] }));
    await expect(serveActuatorHttp('127.0.0.1', port, metrics, () => ({ mqttConnected: false, stations: [] }))).rejects.toMatchObject({
      code: 'METRICS_LISTEN',
      message: expect.stringContaining(`cannot serve /metrics on 127.0.0.1:${port}: listen EADDRINUSE`),
    });
    await new Promise<void>((resolve) => taken.close(() => resolve()));
  });
});
