import { writeFileSync } from 'node:fs';
import type { Config } from '../config.js';
import { uniadError } from '../errors.js';
import { InferenceEngine } from '../pipeline/engine.js';
import { ShadowRunner } from '../pipeline/shadow.js';
import type { ModelRef, ResolvedThreshold } from '../pipeline/threshold-sources.js';
import { loadThresholdsFile } from '../pipeline/thresholds-file.js';
import type { MqttSink } from '../sinks/mqtt-sink.js';
import { shadowSummaryTopic } from '../sinks/topics.js';
import { statePaths } from '../state-dir.js';
import type { Decision, Frame, Logger, RegionLayout } from '../types.js';
import type { ServiceBase } from './base.js';
import type { Part } from './lifecycle.js';
import type { LineControl } from './line-control.js';
import type { LiveModel } from './model.js';

/** One candidate model running. */
interface Candidate {
  readonly runner: ShadowRunner;
  /** Stops comparing, publishes the last summary (unless it is `discarded`: a reload refused after it loaded), closes the candidate's worker. */
  close(discarded?: boolean): Promise<void>;
}

/** The shadow model of the config, if any, as the inspection and a reload see it. */
export interface Shadow {
  /** A live decision to compare (nothing without a candidate). */
  offer(decision: Decision): void;
  /** Whether the live pipeline is idle (the candidate runs only then). */
  setLiveIdle(idle: boolean): void;
  /**
   * A reloaded config's `shadow:` section (SIGHUP): the candidate it names is loaded now, and the reload refused when
   * it does not load. Returns what puts it in place of the running one (or stops that one when the section is gone);
   * `abandon` closes what was loaded when the reload is refused later.
   */
  prepareReload(next: Config): Promise<{ apply(): void; abandon(): Promise<void> }>;
  close(): Promise<void>;
}

interface ShadowParts {
  readonly live: () => ModelRef;
  readonly sink: MqttSink;
  readonly thresholdOf: (frame: Frame, model: ModelRef, region?: RegionLayout) => ResolvedThreshold;
  readonly runId: string;
  readonly logger: Logger;
}

/**
 * The candidate model of `shadow` in the config, in its own worker, compared with the live model on the same frames
 * (pipeline/shadow.ts). Its verdicts go only to `<prefix>/<line>/<camera>/shadow/verdict`; the comparison to the
 * retained `<prefix>/shadow/<node>` and the state folder's shadow-report.json, every `summarySeconds`.
 */
async function startCandidate(cfg: Config, shadow: NonNullable<Config['shadow']>, parts: ShadowParts): Promise<Candidate> {
  const { logger, sink } = parts;
  const live = parts.live();
  const engine = await InferenceEngine.open({ modelPath: shadow.path, providers: shadow.providers, threads: shadow.threads, logger });
  const { width, height } = engine.sidecar.input;
  if (width !== live.sidecar.input.width || height !== live.sidecar.input.height) {
    await engine.close();
    throw uniadError('MODEL_CONTRACT', shadow.path, `the shadow model takes ${width}x${height}, the live model ${live.sidecar.input.width}x${live.sidecar.input.height} (both see the same frames)`);
  }
  // Read again here only to say which model it was made for: the line control holds it as a threshold source.
  const fileModel = shadow.thresholdsFile === undefined ? undefined : loadThresholdsFile(shadow.thresholdsFile).model;
  if (fileModel !== undefined && fileModel !== engine.modelId) {
    logger.warn('the shadow thresholds file was calibrated for another model and is not used', { file: shadow.thresholdsFile, fileModel, model: engine.modelId, fix: `run uniad-edge calibrate with the model ${engine.modelId}` });
  }
  logger.info('shadow model loaded', { model: engine.modelId, provider: engine.providerDescription, live: live.id, thresholds: fileModel === engine.modelId ? shadow.thresholdsFile : "the model's sidecar" });
  const runner = new ShadowRunner(engine, { live: parts.live, thresholdOf: parts.thresholdOf, runId: parts.runId, maxBatch: cfg.model.batchMaxSize, onVerdict: (v) => sink.verdicts.publishShadow(v), logger });
  const path = statePaths(cfg.stateDir).shadowReport;
  const publish = () => {
    const summary = JSON.stringify({ ...runner.summary(), at: Date.now() });
    sink.link.publishRetained(shadowSummaryTopic(cfg.mqtt.prefix, cfg.node), summary);
    try {
      writeFileSync(path, `${summary}\n`);
    } catch (err) {
      logger.warn('shadow report not written', { path, error: (err as Error).message });
    }
  };
  const timer = setInterval(publish, shadow.summarySeconds * 1000);
  timer.unref();
  return {
    runner,
    close: async (discarded = false) => {
      clearInterval(timer);
      runner.close();
      if (!discarded) publish();
      await engine.close();
    },
  };
}

/** The candidate of `cfg` (none without a `shadow:` section) behind the Shadow interface, replaceable by a reload. */
export async function startShadow(cfg: Config, parts: ShadowParts): Promise<Shadow> {
  let section = cfg.shadow;
  // A candidate that does not load at start must not stop the inspection of parts.
  let candidate: Candidate | undefined = await (section === undefined
    ? undefined
    : startCandidate(cfg, section, parts).catch((err: Error) => {
        parts.logger.error('shadow model not started; the line runs without it', { model: section?.path, error: err.message });
        return undefined;
      }));
  let idle = false;
  return {
    offer: (d) => candidate?.runner.offer(d),
    setLiveIdle: (now) => {
      idle = now;
      candidate?.runner.setLiveIdle(now);
    },
    prepareReload: async (next) => {
      const keep = { apply: () => undefined, abandon: async () => undefined };
      if (JSON.stringify(next.shadow ?? null) === JSON.stringify(section ?? null) && (candidate !== undefined || section === undefined)) return keep;
      const started = next.shadow === undefined ? undefined : await startCandidate(next, next.shadow, parts);
      return {
        apply: () => {
          const old = candidate;
          candidate = started;
          section = next.shadow;
          started?.runner.setLiveIdle(idle);
          parts.logger.info(started === undefined ? 'shadow model stopped' : 'shadow model replaced', { was: old?.runner.summary().candidate ?? null, now: started?.runner.summary().candidate ?? null });
          void old?.close().catch((err: Error) => parts.logger.warn('the old shadow model did not close cleanly', { error: err.message }));
        },
        abandon: async () => {
          await started?.close(true);
        },
      };
    },
    close: async () => {
      await candidate?.close();
      candidate = undefined;
    },
  };
}

type Needs = Pick<ServiceBase, 'cfg' | 'logger' | 'runId'> & { readonly model: LiveModel; readonly sink: MqttSink; readonly control: LineControl };

/** The candidate model, when the config names one; a reload may start, replace or stop it. */
export const shadow: Part<Needs, 'shadow', Shadow> = {
  name: 'shadow',
  start: ({ cfg, logger, runId, model: { live }, sink, control }) =>
    startShadow(cfg, { live: () => ({ id: live.modelId, sidecar: live.sidecar }), sink, thresholdOf: (f, m, r) => control.thresholdOf(f, m, r), runId, logger }),
  stop: (candidate) => candidate.close(),
};
