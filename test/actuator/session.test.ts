/**
 * The actuator's persistent MQTT session across its own restart, on Debian's mosquitto and on the embedded aedes
 * broker: a decision the service publishes while the actuator is down is delivered when it is back (clean session
 * off, the same client id), and applied at its part's ejection moment; the same decision delivered once more after
 * another restart is recognised from the journal and not applied twice.
 *
 * What each broker keeps: mosquitto (persistence on) keeps the session and its queued QoS 1 messages across its own
 * restarts too; aedes, as the service embeds it, keeps them in memory — across actuator restarts, not across a
 * restart of the service that runs it.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startActuator, type Actuator } from '../../src/actuator/actuator.js';
import type { ActuatorConfig } from '../../src/actuator/config/schema.js';
import { startEmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { silentLogger } from '../../src/log.js';
import { partTopic, statusTopic } from '../../src/sinks/topics.js';
import { Mosquitto } from '../support/mosquitto.js';
import { PlcSimulator } from '../support/plc-simulator.js';
import { actuatorConfig, ejectionWindowMs, metricValue, partDecision, prefix, tempDir, until } from './fixtures.js';

const travelMs = 2500;

interface Broker {
  readonly url: string;
  close(): Promise<void>;
}

const brokers: [string, () => Promise<Broker>][] = [
  ['mosquitto', () => Mosquitto.start()],
  ['the embedded aedes broker', () => startEmbeddedBroker({ host: '127.0.0.1', port: 0, wsPort: 0 }, silentLogger)],
];

describe.each(brokers)('the actuator restarted, on %s', (_name, startBroker) => {
  const temp = tempDir('session');
  let broker: Broker;
  let plc: PlcSimulator;
  let service: MqttClient;
  let cfg: ActuatorConfig;
  let actuator: Actuator | undefined;

  beforeAll(async () => {
    broker = await startBroker();
    plc = await PlcSimulator.start({ counterRegister: 0, partIdRegister: 1, recordRegister: 10, coil: 3, travelMs });
    // a free-running camera's station: its parts are known from their decisions (signalAt) only
    cfg = actuatorConfig(temp.dir, broker.url, {
      conveyor: { kind: 'belt', distanceMm: travelMs, speedMmPerS: 1000 },
      output: { kind: 'modbus', host: '127.0.0.1', port: plc.port, coil: 3, recordRegister: 10, leadMs: 20 },
    });
    service = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
    await service.publishAsync(statusTopic(prefix, 'edge'), JSON.stringify({ state: 'online', node: 'edge' }), { qos: 1, retain: true });
  });

  afterAll(async () => {
    await actuator?.stop(0);
    await service?.endAsync(true);
    await plc?.close();
    await broker?.close();
    temp.rm();
  });

  it('should receive the decisions published while it was down, apply them on time, and not twice after another restart', async () => {
    actuator = await startActuator(cfg, { logger: silentLogger });
    await until(() => actuator!.state().mqttConnected && !actuator!.state().stations[0]!.holding, () => JSON.stringify(actuator!.state()));
    await actuator.stop(0);

    // the service decides while the actuator is down
    const signalAt = Date.now();
    await service.publishAsync(partTopic(prefix, 'l1', 'cam1'), partDecision('4001', true, signalAt), { qos: 1 });
    await service.publishAsync(partTopic(prefix, 'l1', 'cam1'), partDecision('4002', false, signalAt), { qos: 1 });

    actuator = await startActuator(cfg, { logger: silentLogger });
    await until(() => plc.records.length === 2, () => `records: ${JSON.stringify(plc.records)}`);
    // both parts are at the ejector at once; a reject's record follows its pulse, so the pass may come first
    expect(plc.records.map((r) => [r.partId, r.reject, r.reason]).sort()).toEqual([
      ['4001', true, 'decided'],
      ['4002', false, 'decided'],
    ]);
    // the pass is recorded at its ejection moment (the coil also moves for the hold while the status is not known yet)
    const error = plc.records.find((r) => r.partId === '4002')!.at - (signalAt + travelMs - 20);
    console.log(`record of a queued decision vs. its ejection moment: ${error} ms`);
    expect(error).toBeGreaterThanOrEqual(ejectionWindowMs.early);
    expect(error).toBeLessThanOrEqual(ejectionWindowMs.late);
    await actuator.stop(0);

    // delivered once more (QoS 1 is at-least-once): the journal says it was applied
    await service.publishAsync(partTopic(prefix, 'l1', 'cam1'), partDecision('4001', true, signalAt), { qos: 1 });
    actuator = await startActuator(cfg, { logger: silentLogger });
    const duplicates = async () => metricValue(await (await fetch(`${actuator!.httpUrl}/metrics`)).text(), 'uniad_actuator_duplicate_decisions_total{camera="cam1",line="l1"}');
    let seen: number | undefined;
    const deadline = Date.now() + 5000;
    while ((seen = await duplicates()) !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(seen).toBe(1);
    expect(plc.records).toHaveLength(2);
  });
});
