import type { EmbeddedBroker } from '../broker/embedded-broker.js';
import type { EvidenceArchive } from '../evidence/archive.js';
import type { MqttSink } from '../sinks/mqtt-sink.js';
import type { Logger } from '../types.js';
import type { Service } from './api.js';
import type { Cameras } from './cameras.js';
import type { Http } from './http.js';
import type { Inspection } from './inspection.js';
import type { Running } from './lifecycle.js';
import type { LiveModel } from './model.js';
import type { ModelRegistry } from './registry.js';

/** The started parts the Service API reads. */
export interface StartedParts {
  readonly model: LiveModel;
  readonly broker: EmbeddedBroker | undefined;
  readonly sink: MqttSink;
  readonly http: Http;
  readonly archive: EvidenceArchive | undefined;
  readonly cameras: Cameras;
  readonly inspection: Inspection;
  readonly registry: ModelRegistry;
}

/** The Service API over the started parts; `running` stops them. */
export function runningService(parts: StartedParts, running: Pick<Running<unknown>, 'stop'>, logger: Logger): Service {
  const { model, broker, sink, http, archive, cameras, inspection } = parts;
  const counts = () => ({ ...inspection.counts(), mqtt: sink.stats(), inference: model.live.stats(), cameraRestarts: cameras.restarts(), nonFinite: model.output.counts(), framesLost: cameras.framesLost() });
  let stopping: Promise<void> | undefined;
  const stop = (reason: string) =>
    (stopping ??= running.stop(reason).then(() => {
      const { frames, decisions, inference, cameraRestarts, nonFinite, framesLost } = counts();
      logger.info('stopped', { frames, ...decisions, cameraRestarts, inferenceRestarts: inference.restarts, nonFinite, framesLost, evidence: archive?.stats() });
    }));
  return {
    modelId: model.loaded.id,
    provider: model.loaded.description,
    brokerUrl: broker?.url,
    brokerWsUrl: broker?.wsUrl,
    dashboardUrl: http.dashboard?.url,
    // Cameras that all end (files without loop) stop the service; after stop() this is the same promise.
    stopped: inspection.drained.then(() => stop('all cameras ended')),
    counts,
    stop,
    reload: (next) => parts.registry.reload(next),
    reloadRefused: (why) => parts.registry.refused(why),
  };
}
