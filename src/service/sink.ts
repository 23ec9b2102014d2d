import type { Config } from '../config.js';
import type { EmbeddedBroker } from '../sinks/broker.js';
import { MqttSink } from '../sinks/mqtt.js';
import { DeadLetters } from '../sinks/outbox/dead-letter.js';
import type { NodeInfo } from '../sinks/payload.js';
import type { StatusCauses } from '../sinks/status-causes.js';
import { statePaths } from '../state-dir.js';
import type { Logger } from '../types.js';
import { openOutboxStore } from './outbox-store.js';

/**
 * The MQTT sink, connected to the embedded broker (with its credentials) when it runs, else to `mqtt.url`.
 * Waits for the embedded broker's connection; an external broker that is down at start is not fatal: verdicts queue
 * until it is reachable.
 */
export async function openSink(cfg: Config, broker: EmbeddedBroker | undefined, info: NodeInfo, causes: StatusCauses, logger: Logger): Promise<MqttSink> {
  // On the embedded broker the service connects with its `service` account (configured, or made up for this run).
  const mqtt = broker ? { ...cfg.mqtt, username: broker.service.username, password: broker.service.password } : cfg.mqtt;
  const sink = new MqttSink({ mqtt, url: broker?.url, info, logger, causes, store: openOutboxStore(cfg.mqtt.queue, causes, logger), deadLetters: new DeadLetters(statePaths(cfg.stateDir).deadLetter, logger) });
  if (broker) await sink.ready();
  return sink;
}
