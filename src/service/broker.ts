import type { Config } from '../config.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../sinks/broker.js';
import type { Logger } from '../types.js';

/** The embedded broker, started when the config names no external one (`mqtt.url` absent). */
export async function startBrokerFor(cfg: Config, logger: Logger): Promise<EmbeddedBroker | undefined> {
  return cfg.mqtt.url === undefined ? startEmbeddedBroker(cfg.embeddedBroker, logger) : undefined;
}
