import { map, tap } from 'rxjs';
import type { Config } from './config.js';
import { packageVersion } from './package-root.js';
import { timedScorer } from './pipeline/timed-scorer.js';
import type { EmbeddedBroker } from './sinks/broker.js';
import type { MqttSink } from './sinks/mqtt.js';
import { StatusCauses } from './sinks/status-causes.js';
import type { Service, ServiceOptions } from './service/api.js';
import { startBrokerFor } from './service/broker.js';
import { cameraFrames } from './service/camera-frames.js';
import { openArchive } from './service/archive.js';
import { checkedModel } from './service/check-only.js';
import { startDashboardFor } from './service/dashboard.js';
import { flowControl } from './service/flow-control.js';
import { frameLoss } from './service/frame-loss.js';
import { runInspection } from './service/inspection.js';
import { LineControl } from './service/line-control.js';
import { modelOpener, superviseModel, watchModelOutput } from './service/model.js';
import { observe, startReporting } from './service/observability.js';
import { configReloader } from './service/reload.js';
import { startShadow } from './service/shadow.js';
import { openSink } from './service/sink.js';
import { warnUncalibratedProducts } from './service/thresholds.js';
import { statePaths } from './state-dir.js';
import { extendWhile } from './systemd/notify.js';

export type { Service, ServiceCounts, ServiceOptions } from './service/api.js';

/**
 * Wires sources → pipeline → sinks for one config: one capture process per camera, one inference worker for all of
 * them, one MQTT connection (to `mqtt.url`, or to the embedded broker started here when it is absent). Each part is
 * built in its own file under service/; this function only connects them and stops them in order.
 */
export async function startService(cfg: Config, opts: ServiceOptions): Promise<Service> {
  const { logger, notifier } = opts;
  const startedAt = Date.now();
  const openEngine = modelOpener(cfg.model, logger, statePaths(cfg.stateDir).engineCache, opts.checkOnly);
  const engine = await extendWhile(notifier, `loading model ${cfg.model.path}`, openEngine());
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
  if (opts.checkOnly) return checkedModel(engine, cfg.model.path);

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
  const obs = observe(cfg, { sink: mqtt, scorer: live, provider: engine.provider, model: engine.modelId });
  const dashboard = await startDashboardFor(cfg, broker, obs, logger);

  const runId = startedAt.toString(36);
  const archive = openArchive(cfg, logger);
  // A candidate that does not load must not stop the inspection of parts: the line runs without it.
  const shadow = await startShadow(cfg, { modelId: live.modelId, input: engine.sidecar.input }, mqtt, (f, m) => control.thresholdFor(f, m), runId, logger).catch((err: Error) => {
    logger.error('shadow model not started; the line runs without it', { model: cfg.shadow?.path, error: err.message });
    return undefined;
  });
  const flow = flowControl(cfg.cameras);
  const loss = frameLoss(causes);
  const cameras = cameraFrames(cfg.cameras, {
    ...engine.sidecar.input,
    flow,
    logger,
    onCameraEvent: (event) => {
      loss.onEvent(event);
      obs.cameraEvent(event);
      opts.onCameraEvent?.(event);
    },
  });
  // Stamped as they leave the cameras: a recipe or threshold change applies from the next captured frame.
  const frames$ = cameras.frames$.pipe(
    tap((frame) => obs.frame(frame)),
    map((frame) => control.stamp(frame)),
  );
  const inspection = runInspection(frames$, timedScorer(live, obs.inferenceRun), {
    model: cfg.model,
    thresholdFor: (frame, model) => control.thresholdFor(frame, model),
    flow: { ...flow, onBacklog: (waiting) => (flow.onBacklog(waiting), obs.backlog(waiting)) },
    runId,
    publish: (d) => {
      mqtt.publish(d);
      obs.decision(d);
      archive?.record(d);
      shadow?.runner.offer(d);
    },
    onIdle: (idle) => shadow?.runner.setLiveIdle(idle),
    onDecision: opts.onDecision,
    onScored: (f, bad) => output.observe(f, bad),
    logger,
  });
  logger.info('service started', { cameras: cfg.cameras.length, runId, node: cfg.node });
  const stopReporting = startReporting(obs, cfg, { sink: mqtt, notifier, logger, ready: `started ${cfg.cameras.length} camera(s), model ${engine.modelId} on ${engine.providerDescription}` });

  let stopping: Promise<void> | undefined;
  const stop = (reason: string) =>
    (stopping ??= (async () => {
      logger.info('stopping', { reason });
      stopReporting(reason);
      await inspection.finish(cfg.model.deadlineMs + 5000);
      await archive?.close();
      await shadow?.close();
      await mqtt.close();
      await live.close();
      await dashboard?.close();
      await broker?.close();
      obs.close();
      const { frames, decisions } = inspection.counts();
      logger.info('stopped', { frames, ...decisions, cameraRestarts: cameras.restarts(), inferenceRestarts: live.stats().restarts, nonFinite: output.counts(), framesLost: loss.counts(), evidence: archive?.stats() });
    })());

  const reload = configReloader(cfg.model.path, { live, control, logger, stopping: () => stopping !== undefined });

  // Cameras that all end (files without loop) stop the service; after stop() this is the same promise.
  const stopped = inspection.drained.then(() => stop('all cameras ended'));

  return {
    modelId: engine.modelId,
    provider: engine.providerDescription,
    brokerUrl: broker?.url,
    brokerWsUrl: broker?.wsUrl,
    dashboardUrl: dashboard?.url,
    stopped,
    counts: () => ({ ...inspection.counts(), mqtt: mqtt.stats(), inference: live.stats(), cameraRestarts: cameras.restarts(), nonFinite: output.counts(), framesLost: loss.counts() }),
    stop,
    reload,
  };
}
