import type { EmbeddedBroker } from '../broker/embedded-broker.js';
import type { CameraConfig, Config } from '../config.js';
import { UniadError } from '../errors.js';
import { FleetStatuses } from '../fleet/fleet-view.js';
import { startDashboard, type Dashboard, type DashboardPage, type DashboardTopics, type PageCamera } from '../http/dashboard.js';
import type { Route } from '../http/health-routes.js';
import { isWildcardHost } from '../http/hosts.js';
import { LastRejects } from '../http/last-rejects.js';
import type { DashboardAccount } from '../http/logins.js';
import type { ScoreHistory } from '../http/score-history.js';
import { encodeRgbPng } from '../images/png-encode.js';
import { render } from '../images/render-worker.js';
import { eventFilter, feedbackTopic, recipeTopic, statusTopic, thresholdSetTopic, thresholdTopic } from '../sinks/topics.js';
import type { MqttSink } from '../sinks/mqtt-sink.js';
import type { Decision, Logger } from '../types.js';
import { configPortSettings } from './api.js';
import type { ServiceBase } from './base.js';
import type { Part } from './lifecycle.js';
import type { LiveModel } from './model.js';
import { observe, type Observability } from './observability.js';

/** The page subscribes to exactly these: topics are built in sinks/topics.ts only, never in the browser. */
function dashboardTopics(prefix: string, node: string): DashboardTopics {
  return { verdict: eventFilter(prefix, 'verdict'), part: eventFilter(prefix, 'part'), heatmap: eventFilter(prefix, 'heatmap'), feed: eventFilter(prefix, 'feed'), status: statusTopic(prefix, node) };
}

/** The gap a camera's frames keep when its rate is set; none for a triggered camera or one at its own pace. */
function frameIntervalMs(c: CameraConfig): number | null {
  if (c.genicam !== undefined) return c.genicam.trigger.mode === 'off' && c.genicam.frameRate !== undefined ? 1000 / c.genicam.frameRate : null;
  return c.fps === undefined ? null : 1000 / c.fps;
}

function pageCameras(cfg: Config): PageCamera[] {
  const { prefix } = cfg.mqtt;
  return cfg.cameras.map((c) => ({ line: c.line, camera: c.id, intervalMs: frameIntervalMs(c), triggered: (c.genicam?.trigger.mode ?? 'off') !== 'off', thresholdTopic: thresholdTopic(prefix, c.line, c.id), thresholdSetTopic: thresholdSetTopic(prefix, c.line, c.id), feedbackTopic: feedbackTopic(prefix, c.line, c.id) }));
}

/** One set of credentials: the embedded broker's viewer and operator accounts, or dashboard.users with an external broker. */
function loginAccounts(cfg: Config, broker: EmbeddedBroker | undefined): DashboardAccount[] {
  const users = broker ? cfg.embeddedBroker.users : cfg.dashboard.users;
  return users.flatMap(({ username, password, role }) => (role === 'viewer' || role === 'operator' ? [{ username, password, role }] : []));
}

/** The broker's WebSocket listener as this box reaches it: a listener on every interface answers on loopback. */
function reachable(wsUrl: string): string {
  const u = new URL(wsUrl);
  if (isWildcardHost(u.hostname)) u.hostname = u.hostname.includes(':') ? '[::1]' : '127.0.0.1';
  return u.toString();
}

/** What a page shows of a reject: its heatmap over the frame as the live topic has it, or the frame of a fail-safe reject. */
function rejectPicture({ verdict, frame, inference }: Decision): () => Buffer {
  // copies: the frame and the map belong to the pipeline, and the picture is made later, if a page asks
  const f = { width: frame.width, height: frame.height, pixels: frame.pixels.slice() };
  if (inference === undefined) return () => encodeRgbPng(f.width, f.height, f.pixels);
  const map = inference.anomalyMap.slice();
  return () => render({ kind: 'heatmap', id: verdict.id, input: { map, mapWidth: inference.mapWidth, mapHeight: inference.mapHeight, threshold: verdict.threshold, frame: f } });
}

/** The figures, and the latest rejects the page restores after a reload. */
function withLastRejects(obs: Observability, rejects: LastRejects): Observability {
  return {
    ...obs,
    decision(d) {
      obs.decision(d);
      if (d.verdict.reject) rejects.add(d.verdict, () => rejectPicture(d));
    },
  };
}

/** A node whose status was not refreshed for three stats periods (at least a minute) shows as stale in the fleet view. */
const fleetStaleAfterMs = (cfg: Config) => Math.max(60_000, 3000 * cfg.mqtt.statsIntervalSeconds);

/**
 * Every node's retained status under the prefix (this one's too), as the fleet page's rows; with the page only (the
 * subscription carries every node's status every stats period).
 */
function fleetRows(cfg: Config, sink: MqttSink): (() => unknown) | undefined {
  if (!cfg.dashboard.enabled || !cfg.dashboard.page) return undefined;
  const fleet = new FleetStatuses();
  sink.link.onStatuses((node, payload) => fleet.update(node, payload));
  return () => fleet.view(Date.now(), fleetStaleAfterMs(cfg));
}

/**
 * The service's HTTP port (`dashboard.host`/`port`): /metrics, /healthz, /readyz, and the live page when enabled and a
 * WebSocket URL of the broker is known (`dashboard.mqttWsUrl`, else the embedded broker's), relayed to the page
 * through this port. The fleet page (`/fleet`) comes with the page, over HTTP, whatever the broker. When the port
 * cannot be bound, the service logs why and inspects without it.
 */
async function startDashboardFor(cfg: Config, deps: { broker: EmbeddedBroker | undefined; model: LiveModel }, parts: { routes: Route; history: ScoreHistory; rejects: LastRejects; fleet?: () => unknown }, logger: Logger, portSetting: string): Promise<Dashboard | undefined> {
  if (!cfg.dashboard.enabled) return undefined;
  const { broker, model } = deps;
  const mqttWsUrl = cfg.dashboard.mqttWsUrl ?? broker?.wsUrl;
  if (cfg.dashboard.page && mqttWsUrl === undefined) {
    logger.warn('dashboard page not served: with an external broker it needs dashboard.mqttWsUrl (the broker\'s ws:// listener); /metrics and health are');
  }
  const readOnly = broker?.viewer ?? (cfg.dashboard.username === undefined ? undefined : { username: cfg.dashboard.username, password: cfg.dashboard.password ?? '' });
  const { prefix } = cfg.mqtt;
  const page: DashboardPage | undefined =
    cfg.dashboard.page && mqttWsUrl !== undefined
      ? {
          brokerWsUrl: reachable(mqttWsUrl),
          readOnly,
          prefix,
          node: cfg.node,
          chartSeconds: cfg.dashboard.chartSeconds,
          timeZone: cfg.dashboard.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
          history: () => parts.history.toJSON(),
          lastRejects: parts.rejects,
          topics: dashboardTopics(prefix, cfg.node),
          cameras: pageCameras(cfg),
          lines: [...new Set(cfg.cameras.map((c) => c.line))].map((line) => ({ line, recipeTopic: recipeTopic(prefix, line) })),
          products: () => model.live.sidecar.classes,
        }
      : undefined;
  const { host, port, login, sessionHours, metricsAuth, tls } = cfg.dashboard;
  const access = { accounts: loginAccounts(cfg, broker), login, sessionHours, metricsAuth, tls };
  return startDashboard({ host, port, access, page, routes: parts.routes, fleet: parts.fleet, logger }).catch((err: Error) => {
    // a coded error says its own fix (DASHBOARD_TLS_FILE); a port that cannot be bound does not
    logger.error('dashboard not started', { host, port, error: err.message, ...(err instanceof UniadError ? { code: err.code } : { fix: `free the port, or move it with ${portSetting}` }) });
    return undefined;
  });
}

export interface Http {
  /** The figures the HTTP server shows and the status reports; fed by the cameras and the inspection. */
  readonly obs: Observability;
  /** The server, unless disabled or its port could not be bound. */
  readonly dashboard: Dashboard | undefined;
}

type Needs = Pick<ServiceBase, 'cfg' | 'logger' | 'portSettings'> & { readonly model: LiveModel; readonly broker: EmbeddedBroker | undefined; readonly sink: MqttSink };

/** Metrics, health, readiness, the score history and the latest rejects, and the HTTP port that serves them. */
export const http: Part<Needs, 'http', Http> = {
  name: 'http',
  async start({ cfg, logger, portSettings = configPortSettings, model, broker, sink }) {
    const rejects = new LastRejects();
    const obs = withLastRejects(observe(cfg, { sink, scorer: model.live, provider: model.loaded.provider, model: model.loaded.id, nonFinite: () => model.output.counts() }), rejects);
    const fleet = fleetRows(cfg, sink);
    const dashboard = await startDashboardFor(cfg, { broker, model }, { routes: obs.routes, history: obs.history, rejects, fleet }, logger, portSettings.dashboard);
    // the fleet view links each node's page: where the plant opens it, else where it listens
    if (dashboard && fleet) sink.link.setDashboardUrl(cfg.dashboard.publicUrl ?? dashboard.url);
    return { obs, dashboard };
  },
  async stop({ obs, dashboard }) {
    try {
      await dashboard?.close();
    } finally {
      obs.close();
    }
  },
};
