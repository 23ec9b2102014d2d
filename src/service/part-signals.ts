import { join } from 'node:path';
import type { CameraConfig, Config } from '../config.js';
import { uniadError } from '../errors.js';
import { ModbusCounter } from '../plc/modbus-counter.js';
import { ModbusLink } from '../plc/modbus-link.js';
import { OpcuaCounter } from '../plc/opcua-counter.js';
import { OpcuaLink } from '../plc/opcua-link.js';
import type { PartSignal, PartSignalSource } from '../plc/part-signal.js';
import { parseTrigger } from '../plc/trigger.js';
import type { MqttSink } from '../sinks/mqtt-sink.js';
import type { StatusCauses } from '../sinks/status-causes.js';
import { triggerTopic } from '../sinks/topics.js';
import { statePaths } from '../state-dir.js';
import type { Logger } from '../types.js';

export interface PartSignals {
  /** Stops polling and subscribing; closes the PLC links. */
  close(): Promise<void>;
}

export interface PartSignalDeps {
  readonly cfg: Config;
  readonly sink: MqttSink;
  readonly causes: StatusCauses;
  readonly logger: Logger;
  readonly onSignal: (camera: string, signal: PartSignal) => void;
}

/**
 * The part signals of the cameras that have one (`parts.signal`), read the way the reject actuator reads them (plc/):
 * a Modbus TCP part counter polled, an OPC UA counter node subscribed, or the MQTT trigger topic
 * `<prefix>/<line>/<camera>/trigger` on the service's own connection. The service and the actuator read the same
 * PLC each on its own, and name each part alike (`<camera>:part:<partId>`).
 *
 * A PLC link that is down makes the status `degraded` (PART_SIGNAL_LOST) for its camera: parts pass unseen meanwhile,
 * and the actuator rejects them. Parts the counter shows passed while it could not be read are logged, never guessed
 * at. A trigger that is retained, not JSON, or without a part id is refused (TRIGGER_REFUSED in the log).
 */
export async function startPartSignals(cameras: readonly CameraConfig[], deps: PartSignalDeps): Promise<PartSignals> {
  const { cfg, sink, causes, logger, onSignal } = deps;
  const sources: PartSignalSource[] = [];
  const triggers = new Map<string, CameraConfig>();
  for (const cam of cameras) {
    const s = cam.parts?.signal;
    if (s === undefined) continue;
    if (s.kind === 'mqtt') {
      triggers.set(triggerTopic(cfg.mqtt.prefix, cam.line, cam.id), cam);
      continue;
    }
    const events = {
      missed: (parts: number) => logger.error('plc: parts passed the camera while its part counter could not be read; they get no decision from the service (the actuator rejects them)', { camera: cam.id, parts }),
    };
    const source = s.kind === 'modbus' ? new ModbusCounter(new ModbusLink(s, logger), s, logger, events) : new OpcuaCounter(new OpcuaLink({ ...s, pkiDir: join(statePaths(cfg.stateDir).opcuaPki, cam.id) }, logger), s, logger, events);
    const key = `PART_SIGNAL_LOST:${cam.id}`;
    source.state.onChange((up, why) => (up ? causes.clear(key) : causes.set(uniadError('PART_SIGNAL_LOST', cam.id, source.state.name, why ?? 'down'), key)));
    source.start((signal) => onSignal(cam.id, signal));
    sources.push(source);
  }
  if (triggers.size > 0) {
    sink.link.onMessages([...triggers.keys()], 'part trigger topics', (topic, payload, retained) => {
      const cam = triggers.get(topic)!;
      const t = parseTrigger(payload, Date.now(), retained);
      if (!t.ok) return logger.warn(uniadError('TRIGGER_REFUSED', topic, t.why).message, { camera: cam.id, code: 'TRIGGER_REFUSED' });
      if (t.clockAhead) logger.warn("a trigger's time lies ahead of this clock (sync the PLC's and this box's clocks with NTP); timed by its arrival", { camera: cam.id, partId: t.signal.partId });
      onSignal(cam.id, t.signal);
    });
  }
  return {
    close: async () => {
      await Promise.all(sources.map((s) => s.close()));
    },
  };
}
