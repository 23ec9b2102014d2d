import type { Config } from '../config.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../sinks/broker.js';
import type { Logger } from '../types.js';

/** The client id the service connects with: configured, else stable per node (a restart takes over its own session). */
export const serviceClientId = (cfg: Config): string => cfg.mqtt.clientId ?? `uniad-edge-${cfg.node}`;

/**
 * The embedded broker, started when the config names no external one (`mqtt.url` absent), guarding the service's
 * prefix and client id (acl.ts): only `operator` accounts may write the command topics, and it stamps who did.
 */
export async function startBrokerFor(cfg: Config, logger: Logger): Promise<EmbeddedBroker | undefined> {
  return cfg.mqtt.url === undefined ? startEmbeddedBroker(cfg.embeddedBroker, logger, { prefix: cfg.mqtt.prefix, serviceClientId: serviceClientId(cfg) }) : undefined;
}
