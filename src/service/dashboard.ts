import type { Config } from '../config.js';
import type { EmbeddedBroker } from '../sinks/broker.js';
import { startDashboard, type Dashboard, type DashboardPage } from '../sinks/dashboard.js';
import type { Route } from '../sinks/health-routes.js';
import type { ScoreHistory } from '../sinks/score-history.js';
import type { Logger } from '../types.js';

/**
 * The service's HTTP port (`dashboard.host`/`port`): /metrics, /healthz, /readyz, and the live page when enabled and a
 * WebSocket URL for the browser is known (`dashboard.mqttWsUrl`, else the embedded broker's). The page connects with
 * the read-only `viewer` credential. When the port cannot be bound, the service logs why and inspects without it.
 */
export async function startDashboardFor(cfg: Config, broker: EmbeddedBroker | undefined, parts: { routes: Route; history: ScoreHistory }, logger: Logger): Promise<Dashboard | undefined> {
  if (!cfg.dashboard.enabled) return undefined;
  const mqttWsUrl = cfg.dashboard.mqttWsUrl ?? broker?.wsUrl;
  if (cfg.dashboard.page && mqttWsUrl === undefined) {
    logger.warn('dashboard page not served: with an external broker it needs dashboard.mqttWsUrl (the broker\'s ws:// listener); /metrics and health are');
  }
  const viewer = broker?.viewer ?? (cfg.dashboard.username === undefined ? undefined : { username: cfg.dashboard.username, password: cfg.dashboard.password ?? '' });
  const page: DashboardPage | undefined =
    cfg.dashboard.page && mqttWsUrl !== undefined
      ? { mqttWsUrl, ...viewer, prefix: cfg.mqtt.prefix, node: cfg.node, chartSeconds: cfg.dashboard.chartSeconds, history: () => parts.history.toJSON() }
      : undefined;
  const { host, port } = cfg.dashboard;
  return startDashboard({ host, port, page, routes: parts.routes, logger }).catch((err: Error) => {
    logger.error('dashboard not started', { host, port, error: err.message, fix: 'set dashboard.port to a free port or dashboard.enabled: false' });
    return undefined;
  });
}
