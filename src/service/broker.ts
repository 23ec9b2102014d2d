import { startEmbeddedBroker, type EmbeddedBroker } from '../broker/embedded-broker.js';
import type { Config } from '../config.js';
import { configPortSettings } from './api.js';
import type { ServiceBase } from './base.js';
import type { Part } from './lifecycle.js';

/** The client id the service connects with: configured, else stable per node (a restart takes over its own session). */
export const serviceClientId = (cfg: Config): string => cfg.mqtt.clientId ?? `uniad-edge-${cfg.node}`;

/**
 * The embedded broker, started when the config names no external one (`mqtt.url` absent), guarding the service's
 * prefix and client id (broker/acl.ts): only `operator` accounts may write the command topics, and it stamps who did.
 */
export const broker: Part<Pick<ServiceBase, 'cfg' | 'logger' | 'portSettings'>, 'broker', EmbeddedBroker | undefined> = {
  name: 'broker',
  start: ({ cfg, logger, portSettings = configPortSettings }) =>
    cfg.mqtt.url === undefined
      ? startEmbeddedBroker({ ...cfg.embeddedBroker, portSettings: { mqtt: portSettings.broker, websocket: portSettings.brokerWs } }, logger, { prefix: cfg.mqtt.prefix, serviceClientId: serviceClientId(cfg) })
      : undefined,
  stop: (embedded) => embedded?.close(),
};
