import { writeFileSync } from 'node:fs';
import type { Config } from '../config.js';
import { uniadError } from '../errors.js';
import { InferenceEngine } from '../pipeline/engine.js';
import { ShadowRunner } from '../pipeline/shadow.js';
import type { ModelRef } from '../pipeline/threshold-sources.js';
import type { MqttSink } from '../sinks/mqtt.js';
import { shadowSummaryTopic } from '../sinks/topics.js';
import { statePaths } from '../state-dir.js';
import type { Frame, Logger, ModelSidecar } from '../types.js';

export interface Shadow {
  readonly runner: ShadowRunner;
  /** Publishes the last summary, stops comparing, closes the candidate's worker. */
  close(): Promise<void>;
}

/**
 * The candidate model of `shadow` in the config, in its own worker, compared with the live model on the same frames
 * (pipeline/shadow.ts). Its verdicts go only to `<prefix>/<line>/<camera>/shadow/verdict`; the comparison to the
 * retained `<prefix>/shadow/<node>` and the state folder's shadow-report.json, every `summarySeconds`.
 */
export async function startShadow(cfg: Config, live: { modelId: string; input: ModelSidecar['input'] }, sink: MqttSink, thresholdFor: (frame: Frame, model: ModelRef) => number, runId: string, logger: Logger): Promise<Shadow | undefined> {
  if (cfg.shadow === undefined) return undefined;
  const engine = await InferenceEngine.open({ modelPath: cfg.shadow.path, providers: cfg.shadow.providers, threads: cfg.shadow.threads, logger });
  const { width, height } = engine.sidecar.input;
  if (width !== live.input.width || height !== live.input.height) {
    await engine.close();
    throw uniadError('MODEL_CONTRACT', cfg.shadow.path, `the shadow model takes ${width}x${height}, the live model ${live.input.width}x${live.input.height} (both see the same frames)`);
  }
  logger.info('shadow model loaded', { model: engine.modelId, provider: engine.providerDescription, live: live.modelId });
  const runner = new ShadowRunner(engine, { live: live.modelId, thresholdFor, runId, onVerdict: (v) => sink.publishShadow(v), logger });
  const path = statePaths(cfg.stateDir).shadowReport;
  const publish = () => {
    const summary = JSON.stringify({ ...runner.summary(), at: Date.now() });
    sink.publishRetained(shadowSummaryTopic(cfg.mqtt.prefix, cfg.node), summary);
    try {
      writeFileSync(path, `${summary}\n`);
    } catch (err) {
      logger.warn('shadow report not written', { path, error: (err as Error).message });
    }
  };
  const timer = setInterval(publish, cfg.shadow.summarySeconds * 1000);
  timer.unref();
  return {
    runner,
    close: async () => {
      clearInterval(timer);
      runner.close();
      publish();
      await engine.close();
    },
  };
}
