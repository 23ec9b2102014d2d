import { merge, Subject, takeUntil } from 'rxjs';
import type { Config } from './config.js';
import { packageVersion } from './package-root.js';
import { InferenceEngine } from './pipeline/engine.js';
import { inspect } from './pipeline/inspect.js';
import { EngineSupervisor, type SupervisorStats } from './pipeline/supervisor.js';
import { thresholdFor } from './pipeline/threshold.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './sinks/broker.js';
import { startDashboard, type Dashboard } from './sinks/dashboard.js';
import { MqttSink, type MqttSinkStats } from './sinks/mqtt.js';
import { DiskStore } from './sinks/outbox/disk-store.js';
import { MemoryStore } from './sinks/outbox/memory-store.js';
import { captureCamera } from './sources/capture.js';
import { FlowGate } from './sources/flow-gate.js';
import type { CameraEvent } from './sources/events.js';
import type { Decision, Logger } from './types.js';

export interface ServiceOptions {
  readonly logger: Logger;
  /** Load and check the model, start nothing else (`uniad-edge check`). */
  readonly checkOnly?: boolean;
  /** Every decision, after it was handed to the MQTT sink. */
  readonly onDecision?: (decision: Decision) => void;
  readonly onCameraEvent?: (event: CameraEvent) => void;
}

export interface ServiceCounts {
  readonly frames: number;
  readonly decisions: Readonly<Record<Decision['verdict']['reason'], number>>;
  readonly mqtt?: MqttSinkStats;
  readonly inference?: SupervisorStats;
  /** Capture restarts per camera since the start. */
  readonly cameraRestarts?: Readonly<Record<string, number>>;
}

export interface Service {
  readonly modelId: string;
  readonly provider: string;
  /** The embedded broker's URLs, when it runs. */
  readonly brokerUrl?: string;
  readonly brokerWsUrl?: string;
  /** The live dashboard's URL, when it runs. */
  readonly dashboardUrl?: string;
  /** Resolves once everything has stopped. */
  readonly stopped: Promise<void>;
  counts(): ServiceCounts;
  /** Stops cameras, decides and publishes what is in flight, publishes `offline`, closes everything. Idempotent. */
  stop(reason: string): Promise<void>;
}

/** Frames that may wait for a busy model, per camera; beyond it the camera's overload policy sheds (`deadline` verdicts). */
const queuedFramesPerCamera = 32;

/**
 * Wires sources → pipeline → sinks for one config: one capture process per camera, one inference worker for all of
 * them, one MQTT connection (to `mqtt.url`, or to the embedded broker started here when it is absent).
 */
export async function startService(cfg: Config, opts: ServiceOptions): Promise<Service> {
  const { logger } = opts;
  const startedAt = Date.now();
  const openEngine = () => InferenceEngine.open({ modelPath: cfg.model.path, providers: cfg.model.providers, threads: cfg.model.threads, logger });
  const engine = await openEngine();
  logger.info('model loaded', { model: engine.modelId, provider: engine.provider, input: engine.sidecar.input, classes: engine.sidecar.classes });
  for (const cam of cfg.cameras) {
    if (cam.threshold === undefined && !(cam.product in engine.sidecar.thresholds)) {
      logger.warn('camera product has no threshold in the model; using the model default', { camera: cam.id, product: cam.product, threshold: engine.sidecar.defaultThreshold, classes: engine.sidecar.classes });
    }
  }

  if (opts.checkOnly) {
    let closing: Promise<void> | undefined;
    const stop = () => (closing ??= engine.close());
    return { modelId: engine.modelId, provider: engine.provider, stopped: engine.exited.then(() => undefined), counts: () => ({ frames: 0, decisions: { ok: 0, anomaly: 0, deadline: 0, error: 0 } }), stop };
  }

  let broker: EmbeddedBroker | undefined;
  let sink: MqttSink;
  try {
    broker = cfg.mqtt.url === undefined ? await startEmbeddedBroker(cfg.embeddedBroker, logger) : undefined;
    const store =
      cfg.mqtt.queue.store === 'disk'
        ? new DiskStore({ dir: cfg.mqtt.queue.dir!, max: cfg.mqtt.queue.maxMessages })
        : new MemoryStore(cfg.mqtt.queue.maxMessages);
    const mqtt = broker ? { ...cfg.mqtt, username: cfg.embeddedBroker.username, password: cfg.embeddedBroker.password } : cfg.mqtt;
    sink = new MqttSink({
      mqtt,
      url: broker?.url,
      info: { node: cfg.node, model: engine.modelId, cameras: cfg.cameras.map((c) => c.id), version: packageVersion(), startedAt },
      logger,
      store,
    });
    // An external broker that is down at start is not fatal: verdicts queue until it is reachable.
    if (broker) await sink.ready();
  } catch (err) {
    await engine.close();
    await broker?.close();
    throw err;
  }

  // From here a worker that dies or hangs is replaced; repeated failure shows as `degraded` on the status topic.
  const scorer = new EngineSupervisor(engine, {
    open: openEngine,
    logger,
    runTimeoutMs: cfg.model.runTimeoutMs,
    onHealth: (h) => sink.setHealth(h.state === 'healthy' ? { state: 'online' } : { state: 'degraded', reason: h.reason }),
  });

  let dashboard: Dashboard | undefined;
  const dashboardWsUrl = cfg.dashboard.mqttWsUrl ?? broker?.wsUrl;
  if (cfg.dashboard.enabled && dashboardWsUrl === undefined) {
    logger.warn('dashboard not started: with an external broker it needs dashboard.mqttWsUrl (the broker\'s ws:// listener)');
  } else if (cfg.dashboard.enabled && dashboardWsUrl !== undefined) {
    // A dashboard is for people; a port clash must not stop the inspection of parts.
    dashboard = await startDashboard({ host: cfg.dashboard.host, port: cfg.dashboard.port, mqttWsUrl: dashboardWsUrl, prefix: cfg.mqtt.prefix, node: cfg.node, logger }).catch((err: Error) => {
      logger.error('dashboard not started', { host: cfg.dashboard.host, port: cfg.dashboard.port, error: err.message, fix: 'set dashboard.port to a free port or dashboard.enabled: false' });
      return undefined;
    });
  }

  const runId = startedAt.toString(36);
  const stop$ = new Subject<void>();
  const thresholds = new Map(cfg.cameras.map((cam) => [cam.id, thresholdFor(cam, cam.product, engine.sidecar)]));
  // A recorded file waits for the model instead of being shed (FlowGate holds it back); a camera cannot wait.
  const waits = (cam: (typeof cfg.cameras)[number]) => cam.spec.kind === 'file' && !cam.live;
  const overloads = new Map(cfg.cameras.map((cam) => [cam.id, waits(cam) ? ('wait' as const) : cam.overload]));
  const cameraRestarts: Record<string, number> = {};
  const gate = new FlowGate();
  const frames$ = merge(
    ...cfg.cameras.map((cam) =>
      captureCamera(cam, {
        width: engine.sidecar.input.width,
        height: engine.sidecar.input.height,
        logger,
        live: cam.live,
        gate: waits(cam) ? gate : undefined,
        onEvent: (event) => {
          if (event.type === 'restarting') cameraRestarts[event.camera] = (cameraRestarts[event.camera] ?? 0) + 1;
          logger.info('camera', { ...event });
          opts.onCameraEvent?.(event);
        },
      }),
    ),
  ).pipe(takeUntil(stop$));

  let frames = 0;
  const decisions = { ok: 0, anomaly: 0, deadline: 0, error: 0 };
  let finished!: () => void;
  const drained = new Promise<void>((resolve) => (finished = resolve));
  frames$
    .pipe(
      inspect(scorer, {
        batchMaxSize: cfg.model.batchMaxSize,
        batchMaxWaitMs: cfg.model.batchMaxWaitMs,
        deadlineMs: cfg.model.deadlineMs,
        failSafe: cfg.model.failSafe,
        thresholdFor: (frame) => thresholds.get(frame.camera) ?? scorer.sidecar.defaultThreshold,
        runId,
        maxQueuedPerCamera: queuedFramesPerCamera,
        overloadFor: (camera) => overloads.get(camera) ?? 'drop-oldest',
        // Held at a quarter of the queue; what is still in the pipe when it pauses waits too (policy `wait`).
        onBacklog: (waiting) => {
          for (const cam of cfg.cameras) {
            if ((waiting.get(cam.id) ?? 0) >= queuedFramesPerCamera / 4) gate.hold(cam.id);
            else gate.release(cam.id);
          }
        },
        logger,
      }),
    )
    .subscribe({
      next: (decision) => {
        frames++;
        decisions[decision.verdict.reason]++;
        sink.publish(decision);
        opts.onDecision?.(decision);
      },
      error: (err: Error) => {
        logger.error('pipeline failed', { error: err.message });
        finished();
      },
      complete: finished,
    });
  logger.info('service started', { cameras: cfg.cameras.length, runId, node: cfg.node });

  let stopping: Promise<void> | undefined;
  const stop = (reason: string) =>
    (stopping ??= (async () => {
      logger.info('stopping', { reason });
      stop$.next();
      const drainLimitMs = cfg.model.deadlineMs + 5000;
      const timedOut = await Promise.race([drained.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), drainLimitMs).unref())]);
      if (timedOut) logger.warn('in-flight frames did not drain in time', { ms: drainLimitMs });
      await sink.close();
      await scorer.close();
      await dashboard?.close();
      await broker?.close();
      logger.info('stopped', { frames, ...decisions, cameraRestarts, inferenceRestarts: scorer.stats().restarts });
    })());

  // Cameras that all end (files without loop) stop the service; after stop() this is the same promise.
  const stopped = drained.then(() => stop('all cameras ended'));

  return {
    modelId: engine.modelId,
    provider: engine.provider,
    brokerUrl: broker?.url,
    brokerWsUrl: broker?.wsUrl,
    dashboardUrl: dashboard?.url,
    stopped,
    counts: () => ({ frames, decisions: { ...decisions }, mqtt: sink.stats(), inference: scorer.stats(), cameraRestarts: { ...cameraRestarts } }),
    stop,
  };
}
