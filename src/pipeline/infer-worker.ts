/**
 * Worker-thread entry that owns the ONE onnxruntime session. `session.run` blocks the thread it runs on, so it runs
 * here and the main thread (capture, MQTT, timers) keeps ticking. Started by engine.ts; speaks worker-protocol.ts.
 */
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { env, Tensor, type InferenceSession } from 'onnxruntime-node';
import { UniadError, uniadError } from '../errors.js';
import { loggerFrom } from '../log.js';
import { packageRoot } from '../package-root.js';
import { readGpuName } from '../platform/gpu.js';
import { readGpuLibraries } from '../platform/libraries.js';
import { bindingVersionIssues, readBinding, type BindingInfo } from '../platform/onnxruntime-binding.js';
import type { Logger } from '../types.js';
import { runDiffs, signatureDiffs } from './contract.js';
import { fileSha256, type EngineIdentity } from './engine-cache.js';
import { batchProfile, type ProviderContext } from './tensorrt-options.js';
import { preciseNow } from './precise-clock.js';
import { createSession } from './providers.js';
import type { FromWorker, SerializedError, ToWorker, WorkerInit } from './worker-protocol.js';

const port = parentPort!;
const init = workerData as WorkerInit;
const { height: H, width: W } = init.sidecar.input;

const post = (msg: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);
const logger = loggerFrom((level, msg, fields) => post({ type: 'log', level, msg, ...(fields ? { fields } : {}) }));

const serialize = (err: unknown): SerializedError =>
  err instanceof UniadError ? { code: err.code, message: err.message } : { message: err instanceof Error ? err.message : String(err) };

/** A buffer that can be transferred alone: the tensor's own when it holds exactly the data, else a copy. */
function ownBuffer(data: Float32Array): ArrayBuffer {
  const own = data.byteOffset === 0 && data.buffer.byteLength === data.byteLength && data.buffer instanceof ArrayBuffer;
  return own ? (data.buffer as ArrayBuffer) : (data.slice().buffer as ArrayBuffer);
}

async function infer(session: InferenceSession, pixels: Uint8Array, n: number) {
  const out = await session.run({ image: new Tensor('uint8', pixels, [n, H, W, 3]) });
  return { score: out['score'], map: out['anomaly_map'] };
}

/** What a TensorRT engine built now depends on; undefined where TensorRT or the GPU cannot be seen. */
async function engineIdentity(binding: BindingInfo, context: ProviderContext): Promise<EngineIdentity | undefined> {
  const tensorrt = readGpuLibraries().tensorrt;
  const gpu = readGpuName();
  if (tensorrt === undefined || gpu === undefined || binding.version === undefined) return undefined;
  const profile = batchProfile(context);
  return { model: await fileSha256(init.modelPath), onnxruntime: binding.version, tensorrt, gpu, precision: context.tensorrt.fp16 ? 'fp16' : 'fp32', profile: `${profile.min}..${profile.max}` };
}

async function load(): Promise<InferenceSession> {
  const binding = readBinding(join(packageRoot, 'node_modules'));
  const versionIssues = bindingVersionIssues(binding);
  if (versionIssues.length > 0) throw uniadError('ONNXRUNTIME_VERSION', versionIssues.join('; '));
  // onnxruntime prints its own error lines for every provider that fails to load; the one line createSession logs
  // says what was tried and why, and run errors reach us as exceptions.
  env.logLevel = 'fatal';
  const settings = init.session;
  const context: ProviderContext | undefined = settings && { ...settings, inputName: 'image', height: H, width: W };
  const { session, provider, description, failures } = await createSession(init.modelPath, init.providers, {
    threads: init.threads,
    spinning: init.spinning,
    logger,
    binding,
    ...(context ? { context, engineIdentity: () => engineIdentity(binding, context) } : {}),
  });
  try {
    const declared = signatureDiffs({ inputs: session.inputMetadata, outputs: session.outputMetadata }, init.sidecar);
    if (declared.length > 0) throw uniadError('MODEL_CONTRACT', init.modelPath, declared.join('; '));
    // Declared shapes can lie (a Reshape with a batch of 1 baked in still declares N): run 2 frames to see.
    let actual: string[];
    try {
      const { score, map } = await infer(session, new Uint8Array(2 * H * W * 3), 2);
      const view = (t: typeof score) => (t === undefined ? undefined : { type: t.type, dims: t.dims });
      actual = runDiffs({ score: view(score), anomaly_map: view(map) }, 2, init.sidecar);
    } catch (err) {
      actual = [`a run on 2 frames failed: ${(err as Error).message.split('\n')[0]}`];
    }
    if (actual.length > 0) throw uniadError('MODEL_CONTRACT', init.modelPath, actual.join('; '));
    if (settings?.warmAllBatches) {
      // Every size the batcher can send, so that no shape is left for TensorRT to build during a shift.
      for (let n = 1; n <= settings.batchMaxSize; n++) {
        const t0 = performance.now();
        await infer(session, new Uint8Array(n * H * W * 3), n);
        logger.info(`batch ${n}/${settings.batchMaxSize} ran on ${description}`, { ms: Math.round(performance.now() - t0) });
      }
    }
  } catch (err) {
    await session.release();
    throw err;
  }
  post({ type: 'ready', provider, description, failures });
  return session;
}

let session: InferenceSession;
try {
  session = await load();
} catch (err) {
  post({ type: 'failed', error: serialize(err) });
  port.close();
  process.exit(0);
}

// Runs one after another: a message that arrives mid-run waits its turn on this chain.
let queue: Promise<void> = Promise.resolve();
port.on('message', (msg: ToWorker) => {
  queue = queue.then(async () => {
    if (msg.type === 'close') {
      await session.release();
      port.close();
      return;
    }
    try {
      const startedAt = preciseNow();
      const { score, map } = await infer(session, new Uint8Array(msg.pixels), msg.n);
      const endedAt = preciseNow();
      if (score === undefined || map === undefined) throw new Error('the model returned no "score" or no "anomaly_map"');
      const scores = ownBuffer(score.data as Float32Array);
      const maps = ownBuffer(map.data as Float32Array);
      post({ type: 'result', id: msg.id, scores, maps, mapHeight: map.dims[2]!, mapWidth: map.dims[3]!, startedAt, endedAt }, [scores, maps]);
    } catch (err) {
      post({ type: 'run-error', id: msg.id, error: serialize(err) });
    }
  });
});
