import type { Config } from '../config.js';
import type { EngineSupervisor } from '../pipeline/supervisor.js';
import { CameraStats } from '../sinks/camera-stats.js';
import { EventLoopProbe } from '../sinks/event-loop.js';
import { healthRoutes, type Route } from '../sinks/health-routes.js';
import { ServiceMetrics } from '../sinks/metrics.js';
import type { MqttSink } from '../sinks/mqtt.js';
import { readiness, type Readiness } from '../sinks/readiness.js';
import { ScoreHistory } from '../sinks/score-history.js';
import type { CameraEvent } from '../sources/events.js';
import type { Notifier } from '../systemd/notify.js';
import type { Decision, Frame, Logger } from '../types.js';

/** What the service reports about itself every stats period: on the status topic, in the log, to systemd. */
export interface ServiceStats {
  readonly at: number;
  readonly provider: string;
  /** Verdict/reject messages waiting for the broker, the queue's bound, and those dropped since the start. */
  readonly queued: number;
  readonly queueBound: number;
  readonly dropped: number;
  readonly brokerConnected: boolean;
  readonly inferenceRestarts: number;
  readonly cameras: Record<string, ReturnType<CameraStats['snapshot']>[string] & { readonly line: string; readonly restarts: number }>;
}

export interface Observability {
  readonly routes: Route;
  readonly history: ScoreHistory;
  frame(frame: Frame): void;
  decision(decision: Decision): void;
  cameraEvent(event: CameraEvent): void;
  backlog(waiting: ReadonlyMap<string, number>): void;
  inferenceRun(frames: number, seconds: number): void;
  readiness(): Readiness;
  stats(): ServiceStats;
  /** The event loop answers now (healthz, systemd watchdog). */
  alive(): boolean;
  close(): void;
}

/**
 * Metrics, readiness, liveness, per-camera figures and score history for one running service, fed by the wiring
 * (frames, decisions, camera events, inference runs) and reading the sink and the model supervisor when asked.
 */
export function observe(cfg: Config, parts: { sink: MqttSink; scorer: EngineSupervisor; provider: string; model: string }, now: () => number = Date.now): Observability {
  const { sink, scorer } = parts;
  const cameraIds = cfg.cameras.map((c) => c.id);
  const lines = new Map(cfg.cameras.map((c) => [c.id, c.line]));
  const lastFrame = new Map<string, number>();
  const restarts = new Map<string, number>();
  const figures = new CameraStats();
  const history = new ScoreHistory();
  const probe = new EventLoopProbe();
  const queue = () => ({ queued: sink.stats().queued, queueBound: cfg.mqtt.queue.maxMessages, queueDropped: sink.stats().dropped });
  const metrics = new ServiceMetrics({
    model: parts.model,
    provider: parts.provider,
    cameras: cfg.cameras,
    scrape: () => ({ ...queue(), brokerConnected: sink.connected, inferenceRestarts: scorer.stats().restarts }),
  });
  const ready = () =>
    readiness({
      modelLoaded: scorer.stats().health.state === 'healthy',
      cameras: cfg.cameras.map((c) => ({ id: c.id, watchdogSeconds: c.watchdogSeconds, lastFrameAt: lastFrame.get(c.id) ?? null })),
      broker: { connected: sink.connected, queued: sink.stats().queued, bound: cfg.mqtt.queue.maxMessages },
      now: now(),
    });
  return {
    routes: healthRoutes({ metrics, probe, readiness: ready }),
    history,
    frame(frame) {
      lastFrame.set(frame.camera, frame.capturedAt);
      metrics.frame(frame.camera, frame.capturedAt);
    },
    decision({ verdict }) {
      const at = now();
      metrics.verdict(verdict, at);
      figures.record(verdict, at);
      history.add(verdict);
    },
    cameraEvent(event) {
      if (event.type === 'frames-lost') metrics.framesLost(event.camera, event.expected - event.got);
      if (event.type !== 'restarting') return;
      restarts.set(event.camera, (restarts.get(event.camera) ?? 0) + 1);
      metrics.cameraRestart(event.camera);
    },
    backlog: (waiting) => metrics.backlog(waiting),
    inferenceRun: (frames, seconds) => metrics.inference(frames, seconds),
    readiness: ready,
    stats() {
      const at = now();
      const snap = figures.snapshot(cameraIds, at);
      const { queued, queueBound, queueDropped } = queue();
      return {
        at,
        provider: parts.provider,
        queued,
        queueBound,
        dropped: queueDropped,
        brokerConnected: sink.connected,
        inferenceRestarts: scorer.stats().restarts,
        cameras: Object.fromEntries(cameraIds.map((id) => [id, { line: lines.get(id)!, restarts: restarts.get(id) ?? 0, ...snap[id]! }])),
      };
    },
    alive: () => probe.responsive(),
    close: () => probe.close(),
  };
}

/** One line for `systemctl status`: the whole box at a glance. */
export function statusLine(s: ServiceStats): string {
  const cams = Object.values(s.cameras);
  const fps = cams.reduce((a, c) => a + c.fps, 0);
  const rejects = cams.reduce((a, c) => a + c.rejectsPerMin, 0);
  const stalled = cams.filter((c) => c.lastAt === null || s.at - c.lastAt > 60_000).length;
  return `inspecting ${cams.length} camera(s) on ${s.provider}: ${fps.toFixed(1)} fps, ${rejects.toFixed(1)} rejects/min, queue ${s.queued}/${s.queueBound}${s.brokerConnected ? '' : ', broker unreachable'}${stalled ? `, ${stalled} camera(s) without verdicts for 60 s` : ''}`;
}

/**
 * Tells systemd the service is ready, then every `mqtt.statsIntervalSeconds` puts fresh stats on the retained status
 * and in `systemctl status`, every `log.statsIntervalSeconds` logs them, and pings the watchdog while the event loop
 * answers. Returns what stops all of it (and says STOPPING to systemd).
 */
export function startReporting(obs: Observability, cfg: Config, parts: { sink: MqttSink; notifier?: Notifier; logger: Logger; ready: string }): (reason: string) => void {
  const { sink, notifier, logger } = parts;
  notifier?.ready(parts.ready);
  const stopWatchdog = notifier?.startWatchdog(obs.alive);
  const timers = [
    setInterval(() => {
      const stats = obs.stats();
      sink.setStats(stats);
      notifier?.status(statusLine(stats));
    }, cfg.mqtt.statsIntervalSeconds * 1000),
    ...(cfg.log.statsIntervalSeconds > 0 ? [setInterval(() => logger.info('stats', { ...obs.stats() }), cfg.log.statsIntervalSeconds * 1000)] : []),
  ];
  return (reason) => {
    notifier?.stopping(`stopping: ${reason}`);
    for (const t of timers) clearInterval(t);
    stopWatchdog?.();
  };
}
