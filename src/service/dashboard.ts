import type { Config } from '../config.js';
import type { EmbeddedBroker } from '../sinks/broker.js';
import { startDashboard, type Dashboard } from '../sinks/dashboard.js';
import type { Logger } from '../types.js';

/**
 * The live dashboard when enabled and a WebSocket URL for the browser is known (`dashboard.mqttWsUrl`, else the
 * embedded broker's). A dashboard is for people: when it cannot start, the service logs why and inspects without it.
 */
export async function startDashboardFor(cfg: Config, broker: EmbeddedBroker | undefined, logger: Logger): Promise<Dashboard | undefined> {
  if (!cfg.dashboard.enabled) return undefined;
  const mqttWsUrl = cfg.dashboard.mqttWsUrl ?? broker?.wsUrl;
  if (mqttWsUrl === undefined) {
    logger.warn('dashboard not started: with an external broker it needs dashboard.mqttWsUrl (the broker\'s ws:// listener)');
    return undefined;
  }
  const { host, port } = cfg.dashboard;
  // with an external broker the page connects anonymously: that broker's dashboard account is not ours to know
  return startDashboard({ host, port, mqttWsUrl, viewer: broker?.viewer, prefix: cfg.mqtt.prefix, node: cfg.node, logger }).catch((err: Error) => {
    logger.error('dashboard not started', { host, port, error: err.message, fix: 'set dashboard.port to a free port or dashboard.enabled: false' });
    return undefined;
  });
}
