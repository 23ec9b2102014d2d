import { statSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { startWorkerThread } from '../entry.js';
import { UniadError, uniadError } from '../errors.js';
import { silentLogger } from '../log.js';
import type { Frame, Inference, Logger, ModelSidecar, ProviderName } from '../types.js';
import { loadSidecar } from './sidecar.js';
import type { FromWorker, SerializedError, SessionSettings, ToWorker, WorkerInit } from './worker-protocol.js';

export interface EngineOptions {
  readonly modelPath: string;
  /** Tried one at a time, in this order. */
  readonly providers: readonly ProviderName[];
  /** onnxruntime intra-op threads; 0 or absent = onnxruntime's default. */
  readonly threads?: number;
  /** Busy-waiting intra-op threads (session-options.ts); absent = off. */
  readonly spinning?: boolean;
  readonly logger?: Logger;
  /** TensorRT settings, engine folder, batch range (the service's model config); absent = TensorRT's defaults. */
  readonly session?: SessionSettings;
}

/** Why the worker ended: `close()`, `terminate()`, or on its own (crash, out of memory) — the case a supervisor restarts. */
export interface EngineExit {
  readonly reason: 'closed' | 'terminated' | 'crashed';
  readonly error?: Error;
}

interface Pending {
  readonly n: number;
  resolve(result: Inference[]): void;
  reject(err: Error): void;
}

/** Starts infer-worker (entry.ts `startWorkerThread`: from `.js`, or from `.ts` sources through tsx). */
function startWorker(init: WorkerInit): Worker {
  return startWorkerThread(import.meta.url, './infer-worker.js', init);
}

const revive = (e: SerializedError) => (e.code ? new UniadError(e.code, e.message) : uniadError('INFERENCE', e.message));

/**
 * The main-thread side of inference: one worker thread owning one onnxruntime session. A batch is packed into ONE
 * contiguous uint8 [N,H,W,3] buffer here and transferred (moved, not copied) to the worker; scores and maps come
 * back the same way. Runs queue in the worker and execute one at a time.
 */
export class InferenceEngine {
  /** `name@version` from the sidecar, as verdicts carry it. */
  readonly modelId: string;
  /** Resolves once when the worker has ended, saying why. Pending runs have been rejected by then. */
  readonly exited: Promise<EngineExit>;

  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private ending: EngineExit['reason'] | null = null;
  private exit: EngineExit | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly sidecar: ModelSidecar,
    readonly provider: ProviderName,
    /** The provider as logs and the status name it: `tensorrt (fp16, cached engine)`. */
    readonly providerDescription: string,
    private readonly logger: Logger,
  ) {
    this.modelId = `${sidecar.name}@${sidecar.version}`;
    let crash: Error | undefined;
    worker.on('message', (msg: FromWorker) => this.onMessage(msg));
    worker.on('error', (err) => {
      crash = err;
    });
    this.exited = new Promise((resolve) => {
      worker.once('exit', (code) => {
        const reason = this.ending ?? 'crashed';
        const error = reason === 'crashed' ? (crash ?? new Error(`inference worker exited with code ${code}`)) : undefined;
        this.exit = { reason, ...(error ? { error } : {}) };
        if (reason === 'crashed') logger.error('inference worker died', { code, error: error?.message, pendingRuns: this.pending.size });
        for (const p of this.pending.values()) p.reject(uniadError('INFERENCE_WORKER_EXITED', this.exitText(), String(p.n)));
        this.pending.clear();
        resolve(this.exit);
      });
    });
  }

  /** Loads the sidecar and the model, checks both against the model contract; rejects with a UniadError saying what is wrong. */
  static async open(options: EngineOptions): Promise<InferenceEngine> {
    const { modelPath, providers, threads = 0, spinning, logger = silentLogger, session } = options;
    try {
      if (!statSync(modelPath).isFile()) throw new Error('not a file');
    } catch (err) {
      throw uniadError('MODEL_READ', modelPath, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message);
    }
    const sidecar = loadSidecar(modelPath);
    const init: WorkerInit = { modelPath, providers, threads, ...(spinning === undefined ? {} : { spinning }), sidecar, ...(session ? { session } : {}) };
    const worker = startWorker(init);

    const { provider, description } = await new Promise<{ provider: ProviderName; description: string }>((resolve, reject) => {
      const forward = (msg: FromWorker) => {
        if (msg.type === 'log') logger[msg.level](msg.msg, msg.fields);
        else if (msg.type === 'ready') done(() => resolve(msg));
        else if (msg.type === 'failed') done(() => reject(revive(msg.error)));
      };
      const died = (err: Error) => done(() => reject(uniadError('INFERENCE', `the inference worker died while loading "${modelPath}": ${err.message}`)));
      const exited = (code: number) => died(new Error(`exit code ${code}`));
      const done = (settle: () => void) => {
        worker.off('message', forward).off('error', died).off('exit', exited);
        settle();
      };
      worker.on('message', forward).on('error', died).on('exit', exited);
    }).catch(async (err: unknown) => {
      await worker.terminate();
      throw err;
    });
    return new InferenceEngine(worker, sidecar, provider, description, logger);
  }

  /** False once the worker has ended or is ending; `run` then rejects at once. */
  get alive(): boolean {
    return this.ending === null && this.exit === null;
  }

  /** Scores `frames` as one batch. Rejects this run only when it fails; frames must be the model's input size. */
  run(frames: readonly Frame[]): Promise<Inference[]> {
    if (!this.alive) return Promise.reject(uniadError('INFERENCE_WORKER_ENDED', this.exitText()));
    if (frames.length === 0) return Promise.resolve([]);
    const { height: h, width: w } = this.sidecar.input;
    const frameBytes = h * w * 3;
    const wrong = frames.find((f) => f.width !== w || f.height !== h || f.pixels.length !== frameBytes);
    if (wrong !== undefined) {
      const got = `${wrong.width}x${wrong.height} with ${wrong.pixels.length} bytes`;
      return Promise.reject(uniadError('FRAME_SIZE', `${wrong.camera}#${wrong.seq}`, got, `${w}x${h} (${frameBytes} bytes)`));
    }
    // The one copy a batch needs: frames from many cameras into one tensor. Its buffer is then moved to the worker.
    const packed = new Uint8Array(frames.length * frameBytes);
    frames.forEach((f, i) => packed.set(f.pixels, i * frameBytes));
    const id = this.nextId++;
    return new Promise<Inference[]>((resolve, reject) => {
      this.pending.set(id, { n: frames.length, resolve, reject });
      const msg: ToWorker = { type: 'run', id, n: frames.length, pixels: packed.buffer };
      this.worker.postMessage(msg, [packed.buffer]);
    });
  }

  /** Lets queued runs finish, releases the session and ends the worker. */
  async close(): Promise<void> {
    if (this.alive) {
      this.ending = 'closed';
      this.worker.postMessage({ type: 'close' } satisfies ToWorker);
    }
    await this.exited;
  }

  /**
   * Ends the worker now; pending runs reject. Only while no run executes: terminating a worker inside
   * onnxruntime-node's `session.run` aborts the whole process (onnxruntime-node 1.30: "terminate called after
   * throwing an instance of 'Napi::Error'", exit 134). A hung run is left to finish behind `close()` (supervisor.ts).
   */
  async terminate(): Promise<void> {
    if (this.exit === null) {
      this.ending ??= 'terminated';
      await this.worker.terminate();
    }
    await this.exited;
  }

  private exitText(): string {
    const exit = this.exit;
    if (exit === null) return 'is closing';
    return exit.reason === 'crashed' ? `died (${exit.error?.message ?? 'unknown'})` : `was ${exit.reason}`;
  }

  private onMessage(msg: FromWorker): void {
    if (msg.type === 'log') return this.logger[msg.level](msg.msg, msg.fields);
    if (msg.type !== 'result' && msg.type !== 'run-error') return;
    const p = this.pending.get(msg.id);
    if (p === undefined) return;
    this.pending.delete(msg.id);
    if (msg.type === 'run-error') return p.reject(revive(msg.error));
    const scores = new Float32Array(msg.scores);
    const size = msg.mapHeight * msg.mapWidth;
    const run = { startedAt: msg.startedAt, endedAt: msg.endedAt, batchSize: p.n };
    // Each map is a view into the batch's one transferred buffer: no copy per frame.
    p.resolve(
      Array.from({ length: p.n }, (_, i) => ({
        score: scores[i]!,
        anomalyMap: new Float32Array(msg.maps, i * size * 4, size),
        mapHeight: msg.mapHeight,
        mapWidth: msg.mapWidth,
        run,
      })),
    );
  }
}
