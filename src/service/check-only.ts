import { dryRun } from '../pipeline/dry-run.js';
import type { InferenceEngine } from '../pipeline/engine.js';
import type { Service } from './api.js';

/**
 * `uniad-edge check`: the loaded model, run once on test frames (pipeline/dry-run.ts); nothing else starts. A model
 * that fails the dry run is closed and its error thrown.
 */
export async function checkedModel(engine: InferenceEngine, modelPath: string): Promise<Service> {
  await dryRun(engine, modelPath).catch(async (err: unknown) => {
    await engine.close();
    throw err;
  });
  let closing: Promise<void> | undefined;
  const stop = () => (closing ??= engine.close());
  return {
    modelId: engine.modelId,
    provider: engine.providerDescription,
    stopped: engine.exited.then(() => undefined),
    counts: () => ({ frames: 0, decisions: { ok: 0, anomaly: 0, deadline: 0, error: 0 } }),
    stop,
    reload: async () => false,
  };
}
