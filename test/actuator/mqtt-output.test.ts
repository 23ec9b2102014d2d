/**
 * The MQTT-only actuator on the embedded broker with its ACL: part signals from the MQTT trigger topic, the decision
 * published on `<prefix>/<line>/<camera>/eject` at each part's ejection moment for a PLC that subscribes itself,
 * the hold on the retained `…/eject/hold`, and the actuator's own retained status. It logs in with an `actuator`
 * account, which may publish exactly those topics (src/broker/acl.ts).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startActuator, type Actuator } from '../../src/actuator/actuator.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { silentLogger } from '../../src/log.js';
import { partTopic, triggerTopic } from '../../src/sinks/topics.js';
import { subscribe, type Subscriber } from '../support/subscriber.js';
import { actuatorConfig, ejectionWindowMs, metricValue, partDecision, prefix, tempDir, until } from './fixtures.js';

const travelMs = 400;
const service = { username: 'uniad', password: 'service-secret' };

describe('the actuator with an MQTT output', () => {
  const temp = tempDir('mqtt-output');
  let broker: EmbeddedBroker;
  let actuator: Actuator;
  let plc: MqttClient;
  let watcher: Subscriber;

  beforeAll(async () => {
    broker = await startEmbeddedBroker(
      {
        host: '127.0.0.1',
        port: 0,
        wsPort: 0,
        users: [
          { ...service, role: 'service' },
          { username: 'ejector', password: 'ejector-secret', role: 'actuator' },
        ],
      },
      silentLogger,
      { prefix, serviceClientId: 'uniad-edge-edge' },
    );
    watcher = await subscribe(broker.url, [`${prefix}/+/+/eject`, `${prefix}/+/+/eject/hold`, `${prefix}/actuator/+`], service);
    // the service's account stands in for the PLC that publishes triggers, and for the service that decides
    plc = await mqtt.connectAsync(broker.url, { protocolVersion: 4, ...service, clientId: 'test-plc' });
    // a trigger left retained by mistake: the actuator must not take it for a part when it subscribes
    await plc.publishAsync(triggerTopic(prefix, 'l1', 'cam1'), JSON.stringify({ partId: '500' }), { qos: 1, retain: true });
    const cfg = actuatorConfig(
      temp.dir,
      broker.url,
      { signal: { kind: 'mqtt' }, conveyor: { kind: 'belt', distanceMm: travelMs, speedMmPerS: 1000 }, output: { kind: 'mqtt', pulseMs: 30 } },
      { mqtt: { url: broker.url, prefix, username: 'ejector', password: 'ejector-secret' } },
    );
    actuator = await startActuator(cfg, { logger: silentLogger });
    await until(() => !actuator.state().stations[0]!.holding, () => JSON.stringify(actuator.state()));
  });

  afterAll(async () => {
    await plc?.endAsync(true);
    await actuator?.stop(0);
    await watcher?.close();
    await broker?.close();
    temp.rm();
  });

  it('should publish each decision at its ejection moment, reject a part without one, and refuse a retained trigger as a part', async () => {
    const trigger = (partId: string) => plc.publishAsync(triggerTopic(prefix, 'l1', 'cam1'), JSON.stringify({ partId, at: Date.now() }), { qos: 1 });
    const first = Date.now();
    await trigger('501');
    await plc.publishAsync(partTopic(prefix, 'l1', 'cam1'), partDecision('501', false, first), { qos: 1 });
    await trigger('502');
    const ejects = await watcher.waitFor(2, 'eject');
    const decisions = ejects.map((m) => JSON.parse(m.payload.toString()) as Record<string, unknown>);
    expect(decisions).toMatchObject([
      { id: 'cam1:part:501', partId: '501', reject: false, reason: 'decided', decision: 'ok', source: 'signal', pulseMs: 30 },
      { id: 'cam1:part:502', partId: '502', reject: true, reason: 'fail-safe', decision: null, slackMs: null },
    ]);
    const error = (decisions[0]!.firedAt as number) - (first + travelMs);
    console.log(`eject message of part 501 fired vs. its ejection moment: ${error} ms`);
    expect(error).toBeGreaterThanOrEqual(ejectionWindowMs.early);
    expect(error).toBeLessThanOrEqual(ejectionWindowMs.late);

    const text = await (await fetch(`${actuator.httpUrl}/metrics`)).text();
    expect(metricValue(text, 'uniad_actuator_invalid_messages_total{kind="trigger"}')).toBe(1);
    expect(metricValue(text, 'uniad_actuator_part_signals_total{camera="cam1",line="l1"}')).toBe(2);

    // the hold of the start, published and released; the actuator's own status
    const holds = watcher.json<{ hold: boolean }>('eject/hold').map((h) => h.hold);
    expect(holds.at(-1)).toBe(false);
    expect(holds).toContain(true);
    expect(watcher.json<{ state: string }>('actuator/test-ejector').at(-1)).toMatchObject({ state: 'online', actuator: 'test-ejector' });
  });
});
