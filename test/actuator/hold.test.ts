/**
 * The hold ("divert all", docs/actuator.md) on a real Modbus PLC simulator and the embedded broker: the reject coil
 * stays on while a station cannot tell which parts pass its ejector — a station without a part signal while the
 * service is offline, stalled or unknown; a station whose PLC cannot be reached, and for one travel after it is
 * back — and the outage is counted (output errors, parts missed, link down) on /metrics.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startActuator, type Actuator } from '../../src/actuator/actuator.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { silentLogger } from '../../src/log.js';
import { statusTopic } from '../../src/sinks/topics.js';
import { PlcSimulator } from '../support/plc-simulator.js';
import { actuatorConfig, metricValue, prefix, tempDir, until } from './fixtures.js';

const labels = '{camera="cam1",line="l1"}';

describe('the hold', () => {
  const open: { close(): Promise<void> }[] = [];
  const temp = tempDir('hold');
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
  });

  async function setUp(signal: boolean): Promise<{ plc: PlcSimulator; broker: EmbeddedBroker; actuator: Actuator; service: MqttClient }> {
    const plc = await PlcSimulator.start({ counterRegister: 0, partIdRegister: 1, recordRegister: 10, coil: 3, travelMs: 300 });
    open.push(plc);
    const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, wsPort: 0 }, silentLogger);
    open.push(broker);
    const address = { kind: 'modbus', host: '127.0.0.1', port: plc.port, timeoutMs: 100 };
    const cfg = actuatorConfig(`${temp.dir}/${signal ? 'signal' : 'detector'}`, broker.url, {
      ...(signal && { signal: { ...address, counterRegister: 0, partIdRegister: 1 } }),
      conveyor: { kind: 'belt', distanceMm: 300, speedMmPerS: 1000 },
      output: { ...address, coil: 3 },
    });
    const actuator = await startActuator(cfg, { logger: silentLogger });
    open.push({ close: () => actuator.stop(0) });
    const service = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
    open.push({ close: () => service.endAsync(true) });
    return { plc, broker, actuator, service };
  }

  const coil = (plc: PlcSimulator) => plc.coilChanges().at(-1)?.[1];

  it('should hold a station without a part signal while the service is unknown, offline or stalled, and release it while online', async () => {
    const { plc, actuator, service } = await setUp(false);
    const status = (s: object) => service.publishAsync(statusTopic(prefix, 'edge'), JSON.stringify(s), { qos: 1, retain: true });
    const holding = () => actuator.state().stations[0]!.holding;
    await until(() => holding() && coil(plc) === true, () => `unknown status: ${JSON.stringify(actuator.state())}`);
    await status({ state: 'online', node: 'edge' });
    await until(() => !holding() && coil(plc) === false, () => `online: ${JSON.stringify(plc.coilChanges())}`);
    await status({ state: 'offline', node: 'edge', reason: 'connection lost' });
    await until(() => holding() && coil(plc) === true, () => `offline: ${JSON.stringify(plc.coilChanges())}`);
    await status({ state: 'degraded', node: 'edge', causes: [{ code: 'QUEUE_DISK', message: 'disk full' }] });
    await until(() => !holding() && coil(plc) === false, () => `degraded, not a hold cause: ${JSON.stringify(plc.coilChanges())}`);
    await status({ state: 'degraded', node: 'edge', causes: [{ code: 'CAMERA_STALLED', message: 'cam1 delivers no frames' }] });
    await until(() => holding() && coil(plc) === true, () => `stalled: ${JSON.stringify(plc.coilChanges())}`);
    const text = await (await fetch(`${actuator.httpUrl}/metrics`)).text();
    expect(metricValue(text, `uniad_actuator_holding${labels}`)).toBe(1);
    expect(metricValue(text, `uniad_actuator_output_on${labels}`)).toBe(1);
    expect(actuator.state().stations[0]!.output).toBe('on');
  });

  it('should hold while the PLC is unreachable, count the output errors and the parts it missed, and release one travel after it is back', async () => {
    const { plc, actuator } = await setUp(true);
    const holding = () => actuator.state().stations[0]!.holding;
    await until(() => !holding() && coil(plc) === false, () => `start: ${JSON.stringify(actuator.state())}`);
    await plc.stopServing();
    await until(() => holding() && !actuator.state().stations[0]!.links.signal, () => `PLC down: ${JSON.stringify(actuator.state())}`);
    plc.part();
    plc.part();
    await new Promise((r) => setTimeout(r, 300));
    await plc.listen();
    // the coil is driven to the hold as soon as the PLC answers again; the hold ends one travel (300 ms) later
    await until(() => coil(plc) === true, () => `PLC back: ${JSON.stringify(plc.coilChanges())}`);
    const back = Date.now();
    await until(() => !holding() && coil(plc) === false && actuator.state().stations[0]!.output === 'off', () => `after one travel: ${JSON.stringify(actuator.state())}`);
    expect(Date.now() - back).toBeGreaterThanOrEqual(200);
    const text = await (await fetch(`${actuator.httpUrl}/metrics`)).text();
    expect(metricValue(text, `uniad_actuator_parts_missed_total${labels}`)).toBe(2);
    expect(metricValue(text, `uniad_actuator_output_errors_total${labels}`)).toBeGreaterThan(0);
    expect(metricValue(text, `uniad_actuator_plc_link_up{camera="cam1",line="l1",link="signal"}`)).toBe(1);
    expect(metricValue(text, `uniad_actuator_output_on${labels}`)).toBe(0);
    expect(plc.records).toEqual([]);
  });
});
