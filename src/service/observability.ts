import type { Config } from '../config.js';
import { dropReasons } from '../evidence/drop-tally.js';
import { EventLoopProbe } from '../http/event-loop.js';
import { healthRoutes, type Route } from '../http/health-routes.js';
import { ServiceMetrics } from '../http/metrics.js';
import { readiness, type Readiness } from '../http/readiness.js';
import { ScoreHistory } from '../http/score-history.js';
import type { EngineSupervisor } from '../pipeline/supervisor.js';
import { CameraStats } from '../sinks/camera-stats.js';
import type { MqttSink } from '../sinks/mqtt-sink.js';
import { startingHealth, type CameraHealth } from '../sources/camera-health.js';
import type { CameraEvent } from '../sources/events.js';
import type { Notifier } from '../systemd/notify.js';
import type { Decision, Frame, Logger, PartVerdict } from '../types.js';

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
  readonly cameras: Record<string, ReturnType<CameraStats['snapshot']>[string] & CameraStateFigures & { readonly line: string; readonly restarts: number }>;
}

/** A camera's health on the status (sources/camera-health.ts): `state`, since when (epoch ms), and why it is down. */
interface CameraStateFigures {
  readonly state: CameraHealth['state'];
  readonly stateSince: number;
  readonly downReason?: string;
}

export interface Observability {
  readonly routes: Route;
  readonly history: ScoreHistory;
  frame(frame: Frame): void;
  decision(decision: Decision): void;
  /** A part decision; `late` after its camera's decision budget. */
  part(part: PartVerdict, late: boolean): void;
  partEvent(camera: string, event: 'duplicate' | 'unclaimed' | 'short'): void;
  cameraEvent(event: CameraEvent): void;
  /** A camera's health changed (service/camera-health.ts). */
  cameraHealth(camera: string, health: CameraHealth): void;
  /** A reject whose evidence was not archived. */
  evidenceDropped(reason: string): void;
  backlog(waiting: ReadonlyMap<string, number>): void;
  inferenceRun(frames: number, seconds: number): void;
  readiness(): Readiness;
  stats(): ServiceStats;
  /** The event loop answers now (healthz, systemd watchdog). */
  alive(): boolean;
  /** The cameras now (a reload added, removed or changed some): the figures, metrics and readiness follow. */
  setCameras(cameras: Config['cameras']): void;
  close(): void;
}

/** The wall clock for the times people read, the monotonic one (ms) for every duration. */
export interface Clock {
  readonly now: () => number;
  readonly monotonic: () => number;
}

const systemClock: Clock = { now: Date.now, monotonic: () => performance.now() };

/**
 * Metrics, readiness, liveness, per-camera figures and score history for one running service, fed by the wiring
 * (frames, decisions, camera events and health, inference runs) and reading the sink and the model supervisor when
 * asked. Ages and rates are measured on the monotonic clock: a wall clock stepped back an hour does not make a dead
 * camera ready for that hour.
 */
export function observe(cfg: Config, parts: { sink: MqttSink; scorer: EngineSupervisor; provider: string; model: string; nonFinite?: () => Readonly<Record<string, number>> }, clock: Clock = systemClock): Observability {
  const { sink, scorer } = parts;
  const { now, monotonic } = clock;
  let cameras = cfg.cameras;
  const health = new Map(cameras.map((c) => [c.id, startingHealth(now())]));
  /** Monotonic ms of each camera's last frame. */
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
    scrape: () => ({ ...queue(), brokerConnected: sink.link.connected, inferenceRestarts: scorer.stats().restarts, nonFinite: parts.nonFinite?.() }),
    evidenceDropReasons: dropReasons,
  });
  const ready = () =>
    readiness({
      modelLoaded: scorer.stats().health.state === 'healthy',
      cameras: cameras.map((c) => ({ id: c.id, watchdogSeconds: c.watchdogSeconds, lastFrameAt: lastFrame.get(c.id) ?? null })),
      broker: { connected: sink.link.connected, queued: sink.stats().queued, bound: cfg.mqtt.queue.maxMessages },
      now: monotonic(),
    });
  return {
    routes: healthRoutes({ metrics, probe, readiness: ready }),
    history,
    frame(frame) {
      lastFrame.set(frame.camera, monotonic());
      metrics.frame(frame.camera, frame.capturedAt);
    },
    decision({ verdict }) {
      const at = now();
      metrics.verdict(verdict, at);
      figures.record(verdict, at, monotonic());
      history.add(verdict);
    },
    cameraHealth(camera, h) {
      health.set(camera, h);
      metrics.cameraUp(camera, h.state === 'up');
    },
    part: (p, late) => metrics.part(p, now(), late),
    partEvent: (camera, event) => metrics.partEvent(camera, event),
    cameraEvent(event) {
      if (event.type === 'frames-lost') metrics.framesLost(event.camera, event.expected - event.got);
      if (event.type !== 'restarting') return;
      restarts.set(event.camera, (restarts.get(event.camera) ?? 0) + 1);
      metrics.cameraRestart(event.camera);
    },
    evidenceDropped: (reason) => metrics.evidenceDropped(reason),
    backlog: (waiting) => metrics.backlog(waiting),
    inferenceRun: (frames, seconds) => metrics.inference(frames, seconds),
    readiness: ready,
    stats() {
      const at = now();
      const snap = figures.snapshot(cameras.map((c) => c.id), monotonic());
      const state = (id: string): CameraStateFigures => {
        const h = health.get(id) ?? startingHealth(at);
        return { state: h.state, stateSince: h.since, ...(h.reason !== undefined && { downReason: h.reason }) };
      };
      const { queued, queueBound, queueDropped } = queue();
      return {
        at,
        provider: parts.provider,
        queued,
        queueBound,
        dropped: queueDropped,
        brokerConnected: sink.link.connected,
        inferenceRestarts: scorer.stats().restarts,
        cameras: Object.fromEntries(cameras.map(({ id, line }) => [id, { line, restarts: restarts.get(id) ?? 0, ...state(id), ...snap[id]! }])),
      };
    },
    alive: () => probe.responsive(),
    setCameras(next) {
      for (const c of next) if (!health.has(c.id)) health.set(c.id, startingHealth(now()));
      for (const id of health.keys()) if (!next.some((c) => c.id === id)) health.delete(id);
      cameras = next;
      metrics.setCameras(next);
    },
    close: () => probe.close(),
  };
}

/** One line for `systemctl status`: the whole box at a glance. */
export function statusLine(s: ServiceStats): string {
  const cams = Object.values(s.cameras);
  const fps = cams.reduce((a, c) => a + c.fps, 0);
  const rejects = cams.reduce((a, c) => a + c.rejectsPerMin, 0);
  const down = cams.filter((c) => c.state === 'down').length;
  return `inspecting ${cams.length} camera(s) on ${s.provider}: ${fps.toFixed(1)} fps, ${rejects.toFixed(1)} rejects/min, queue ${s.queued}/${s.queueBound}${s.brokerConnected ? '' : ', broker unreachable'}${down ? `, ${down} camera(s) down` : ''}`;
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
      sink.link.setStats(stats);
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
