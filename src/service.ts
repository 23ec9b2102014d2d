import { map } from 'rxjs';
import type { Config } from './config.js';
import { packageVersion } from './package-root.js';
import type { SupervisorStats } from './pipeline/supervisor.js';
import { dryRun } from './pipeline/dry-run.js';
import type { EmbeddedBroker } from './sinks/broker.js';
import type { MqttSink, MqttSinkStats } from './sinks/mqtt.js';
import { StatusCauses } from './sinks/status-causes.js';
import type { CameraEvent } from './sources/events.js';
import { startBrokerFor } from './service/broker.js';
import { cameraFrames } from './service/camera-frames.js';
import { startDashboardFor } from './service/dashboard.js';
import { flowControl } from './service/flow-control.js';
import { runInspection, type InspectionCounts } from './service/inspection.js';
import { LineControl } from './service/line-control.js';
import { modelFingerprint, modelOpener, superviseModel, watchModelOutput } from './service/model.js';
import { openSink } from './service/sink.js';
import { warnUncalibratedProducts } from './service/thresholds.js';
import { statePaths } from './state-dir.js';
import type { Decision, Logger } from './types.js';

export interface ServiceOptions {
  readonly logger: Logger;
  /** Load and check the model, start nothing else (`uniad-edge check`). */
  readonly checkOnly?: boolean;
  /** Every decision, after it was handed to the MQTT sink. */
  readonly onDecision?: (decision: Decision) => void;
  readonly onCameraEvent?: (event: CameraEvent) => void;
}

export interface ServiceCounts extends InspectionCounts {
  readonly mqtt?: MqttSinkStats;
  readonly inference?: SupervisorStats;
  /** Capture restarts per camera since the start. */
  readonly cameraRestarts?: Readonly<Record<string, number>>;
  /** Frames per camera whose model output was not a finite number (each got an `error` verdict). */
  readonly nonFinite?: Readonly<Record<string, number>>;
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
  /**
   * Applies a reloaded config (SIGHUP) without stopping a camera: products, thresholds, the thresholds file, and the
   * model when its path or files changed (swapped, with its own thresholds). All or nothing: when anything is
   * invalid the old values stay (logged). Resolves to whether it applied.
   */
  reload(next: Config): Promise<boolean>;
}

/**
 * Wires sources → pipeline → sinks for one config: one capture process per camera, one inference worker for all of
 * them, one MQTT connection (to `mqtt.url`, or to the embedded broker started here when it is absent). Each part is
 * built in its own file under service/; this function only connects them and stops them in order.
 */
export async function startService(cfg: Config, opts: ServiceOptions): Promise<Service> {
  const { logger } = opts;
  const startedAt = Date.now();
  const openEngine = modelOpener(cfg.model, logger, statePaths(cfg.stateDir).engineCache, opts.checkOnly);
  const engine = await openEngine();
  logger.info('model loaded', { model: engine.modelId, provider: engine.providerDescription, input: engine.sidecar.input, classes: engine.sidecar.classes });
  warnUncalibratedProducts(cfg.cameras, engine.sidecar, logger);
  let scorer: ReturnType<typeof superviseModel> | undefined;
  let sink: MqttSink | undefined;
  let control: LineControl;
  try {
    control = new LineControl({
      cfg,
      publishRetained: (topic, payload) => sink?.publishRetained(topic, payload),
      model: () => (scorer ? { id: scorer.modelId, sidecar: scorer.sidecar } : { id: engine.modelId, sidecar: engine.sidecar }),
      verifiedSender: cfg.mqtt.url === undefined,
      logger,
    });
  } catch (err) {
    await engine.close();
    throw err;
  }
  if (opts.checkOnly) {
    await dryRun(engine, cfg.model.path).catch(async (err: unknown) => {
      await engine.close();
      throw err;
    });
    let closing: Promise<void> | undefined;
    const stop = () => (closing ??= engine.close());
    return { modelId: engine.modelId, provider: engine.providerDescription, stopped: engine.exited.then(() => undefined), counts: () => ({ frames: 0, decisions: { ok: 0, anomaly: 0, deadline: 0, error: 0 } }), stop, reload: async () => false };
  }

  const causes = new StatusCauses();
  let broker: EmbeddedBroker | undefined;
  try {
    broker = await startBrokerFor(cfg, logger);
    sink = await openSink(cfg, broker, { node: cfg.node, model: engine.modelId, provider: engine.providerDescription, cameras: cfg.cameras.map((c) => c.id), version: packageVersion(), startedAt }, causes, logger);
  } catch (err) {
    await engine.close();
    await broker?.close();
    throw err;
  }
  const live = superviseModel(engine, openEngine, cfg.model, causes, logger);
  scorer = live;
  const output = watchModelOutput(cfg.model, () => live.modelId, causes, logger);
  const mqtt = sink;
  mqtt.onCommands((topic, payload) => control.command(topic, payload));
  control.echo();
  const dashboard = await startDashboardFor(cfg, broker, logger);

  const runId = startedAt.toString(36);
  const flow = flowControl(cfg.cameras);
  const cameras = cameraFrames(cfg.cameras, { ...engine.sidecar.input, flow, logger, onCameraEvent: opts.onCameraEvent });
  // Stamped as they leave the cameras: a recipe or threshold change applies from the next captured frame.
  const frames$ = cameras.frames$.pipe(map((frame) => control.stamp(frame)));
  const inspection = runInspection(frames$, live, {
    model: cfg.model,
    thresholdFor: (frame, model) => control.thresholdFor(frame, model),
    flow,
    runId,
    publish: (d) => mqtt.publish(d),
    onDecision: opts.onDecision,
    onScored: (f, bad) => output.observe(f, bad),
    logger,
  });
  logger.info('service started', { cameras: cfg.cameras.length, runId, node: cfg.node });

  let stopping: Promise<void> | undefined;
  const stop = (reason: string) =>
    (stopping ??= (async () => {
      logger.info('stopping', { reason });
      await inspection.finish(cfg.model.deadlineMs + 5000);
      await mqtt.close();
      await live.close();
      await dashboard?.close();
      await broker?.close();
      const { frames, decisions } = inspection.counts();
      logger.info('stopped', { frames, ...decisions, cameraRestarts: cameras.restarts(), inferenceRestarts: live.stats().restarts, nonFinite: output.counts() });
    })());

  let modelFiles = modelFingerprint(cfg.model.path);
  let reloading: Promise<boolean> = Promise.resolve(true);
  const reload = (next: Config) =>
    (reloading = reloading.then(async () => {
      if (stopping) return false;
      const apply = control.prepareReload(next);
      if (apply === undefined) return false;
      const files = modelFingerprint(next.model.path);
      if (files !== modelFiles) {
        try {
          await live.replace(modelOpener(next.model, logger, statePaths(next.stateDir).engineCache));
        } catch (err) {
          logger.error('reload refused, the old model and settings stay: the new model did not load', { model: next.model.path, error: (err as Error).message });
          return false;
        }
        modelFiles = files;
      }
      apply(live.modelId);
      return true;
    }));

  // Cameras that all end (files without loop) stop the service; after stop() this is the same promise.
  const stopped = inspection.drained.then(() => stop('all cameras ended'));

  return {
    modelId: engine.modelId,
    provider: engine.providerDescription,
    brokerUrl: broker?.url,
    brokerWsUrl: broker?.wsUrl,
    dashboardUrl: dashboard?.url,
    stopped,
    counts: () => ({ ...inspection.counts(), mqtt: mqtt.stats(), inference: live.stats(), cameraRestarts: cameras.restarts(), nonFinite: output.counts() }),
    stop,
    reload,
  };
}
