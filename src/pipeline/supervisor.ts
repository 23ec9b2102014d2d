/**
 * Keeps the service's ONE inference worker alive. Wraps an InferenceEngine as inspect's `Scorer`:
 * - a worker that dies (an exception, out of memory) is replaced by a new one that loads the model again, after a
 *   capped exponential backoff, forever;
 * - a run still going after `runTimeoutMs` fails at once (its frames get `error` verdicts) and its worker is
 *   abandoned: asked to close once the run returns, while a new worker takes over. NOT terminated: terminating a
 *   worker inside onnxruntime-node's `session.run` aborts the whole process (seen with onnxruntime-node 1.30:
 *   "terminate called after throwing an instance of 'Napi::Error'", exit 134). At most `maxHung` abandoned workers
 *   may be outstanding: a run hung for good (a wedged GPU) must not make the service open worker after worker, each
 *   with its own session and device memory; past it no new worker starts until a hung one returns;
 * - while there is no worker, runs reject at once, so inspect gives their frames fail-safe `error` verdicts
 *   (never a frame without a verdict, never a wait on a worker that is not there);
 * - `degradedAfter` failures in a row (failed runs, dead or stuck workers, failed reloads) with no successful run
 *   between turn the health `degraded`, with the last failure as reason; the next successful run turns it `healthy`.
 *   The service publishes that on the MQTT status topic: a line operator sees a broken model, not a crash loop.
 * A new engine is a new worker, never a new session in the old one: sessions leak when recreated (docs/platform.md).
 */
import { UniadError, uniadError } from '../errors.js';
import { backoffDelay, defaultBackoff, type BackoffPolicy } from '../backoff.js';
import type { Frame, Inference, Logger, ModelSidecar } from '../types.js';
import type { InferenceEngine } from './engine.js';
import type { Scorer } from './inspect.js';

export type EngineHealth = { readonly state: 'healthy' } | { readonly state: 'degraded'; readonly reason: string; readonly failures: number };

/** What the supervisor uses of an engine. */
export type SupervisedEngine = Pick<InferenceEngine, 'modelId' | 'sidecar' | 'provider' | 'exited' | 'alive' | 'run' | 'close'>;

export interface SupervisorOptions {
  /** Opens a new engine on the same model (a new worker). */
  readonly open: () => Promise<SupervisedEngine>;
  readonly logger: Logger;
  readonly restart?: BackoffPolicy;
  /** Failures in a row before health turns `degraded`. Default 3. */
  readonly degradedAfter?: number;
  /** A run still going after this long has hung the worker: its run fails, and a new worker takes over while the hung one is abandoned (never terminated). Default 30 000. */
  readonly runTimeoutMs?: number;
  /** Abandoned (hung) workers that may be outstanding before no new one is started. Default 2. */
  readonly maxHung?: number;
  /** Called on every change of health. */
  readonly onHealth?: (health: EngineHealth) => void;
}

export interface SupervisorStats {
  /** Workers started to replace one that died, hung or failed to load. */
  readonly restarts: number;
  readonly health: EngineHealth;
}

export class EngineSupervisor implements Scorer {
  /** The cameras' frame size: fixed for the run, a replacement model must take it. */
  private readonly input: ModelSidecar['input'];
  /** The sidecar of the current (or, while none runs, the last) engine. */
  private current: ModelSidecar;
  private open: () => Promise<SupervisedEngine>;
  private engine: SupervisedEngine | null;
  private failures = 0;
  /** Restarts since the last successful run: the backoff's attempt number. */
  private attempt = 0;
  private restarts = 0;
  private health: EngineHealth = { state: 'healthy' };
  private lastFailure = '';
  private restartTimer: NodeJS.Timeout | undefined;
  /** Abandoned workers whose hung run has not returned yet. */
  private readonly hung = new Set<SupervisedEngine>();
  private waitingForHung = false;
  private closing: Promise<void> | undefined;

  /** Supervises `first`, an engine already open (the service opens it itself, so a bad model fails the start). */
  constructor(
    first: SupervisedEngine,
    private readonly opts: SupervisorOptions,
  ) {
    this.input = first.sidecar.input;
    this.current = first.sidecar;
    this.open = opts.open;
    this.engine = first;
    this.watch(first);
  }

  get modelId(): string {
    return this.engine?.modelId ?? `${this.current.name}@${this.current.version}`;
  }

  get provider(): string {
    return this.engine?.provider ?? 'none (restarting)';
  }

  stats(): SupervisorStats {
    return { restarts: this.restarts, health: this.health };
  }

  async run(frames: readonly Frame[]): Promise<Inference[]> {
    const engine = this.engine;
    if (engine === null || !engine.alive) {
      throw uniadError('INFERENCE_RESTARTING', this.lastFailure);
    }
    const timeoutMs = this.opts.runTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const why = `a batch of ${frames.length} frames ran longer than ${timeoutMs} ms; the worker is replaced`;
        reject(uniadError('INFERENCE', why));
        this.abandon(engine, why);
      }, timeoutMs);
    });
    try {
      const inferences = await Promise.race([engine.run(frames), stuck]);
      this.succeeded();
      return inferences;
    } catch (err) {
      // A run that failed in a live worker is a failure of its own; one that failed because the worker ended is
      // counted once, by the exit watcher.
      if (engine.alive) this.failed(`inference run failed: ${(err as Error).message}`);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  get sidecar(): ModelSidecar {
    return this.current;
  }

  /**
   * Swaps in another model (or the same file, changed): opens it in a new worker with `first` (a reload checks it
   * there as `uniad-edge check` would), reopened with `open` after any later failure, then closes the old worker once
   * its queued runs finish. Runs already started finish on the old model and are reported with it (inspect reads the
   * model with each run). Rejects, and keeps the old model, when the new one does not open or takes another frame
   * size than the cameras deliver.
   */
  async replace(open: () => Promise<SupervisedEngine>, first: () => Promise<SupervisedEngine> = open): Promise<void> {
    const engine = await first();
    const wrongSize = this.sizeMismatch(engine);
    if (wrongSize !== undefined || this.closing) {
      await engine.close();
      if (wrongSize !== undefined) throw wrongSize;
      return;
    }
    const old = this.engine;
    this.engine = engine;
    this.current = engine.sidecar;
    this.open = open;
    this.watch(engine);
    this.opts.logger.info('model replaced', { model: engine.modelId, provider: engine.provider, was: old?.modelId ?? 'none (restarting)' });
    // Not awaited: the old worker finishes its queued runs on its own while the new one already takes batches.
    void old?.close();
  }

  private sizeMismatch(engine: SupervisedEngine): UniadError | undefined {
    const { width, height } = this.input;
    const got = engine.sidecar.input;
    return got.width === width && got.height === height ? undefined : uniadError('MODEL_INPUT_SIZE', engine.modelId, `${got.width}x${got.height}`, `${width}x${height}`);
  }

  /** Stops restarting and closes the current worker, letting its queued runs finish. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearTimeout(this.restartTimer);
      await this.engine?.close();
    })();
    return this.closing;
  }

  /** Replaces a hung worker without terminating it (see the top): it closes by itself once its run returns. */
  private abandon(engine: SupervisedEngine, reason: string): void {
    if (this.closing || this.engine !== engine) return;
    this.engine = null;
    this.failed(reason);
    this.hung.add(engine);
    void engine.close();
    void engine.exited.then(() => {
      this.hung.delete(engine);
      if (!this.waitingForHung) return;
      this.waitingForHung = false;
      this.scheduleRestart();
    });
    this.scheduleRestart();
  }

  private watch(engine: SupervisedEngine): void {
    void engine.exited.then((exit) => {
      if (this.closing || this.engine !== engine) return;
      this.engine = null;
      this.failed(exit.reason === 'crashed' ? `the inference worker died: ${exit.error?.message ?? 'unknown'}` : `the inference worker was ${exit.reason}`);
      this.scheduleRestart();
    });
  }

  private scheduleRestart(): void {
    if (this.closing) return;
    this.attempt += 1;
    const delayMs = backoffDelay(this.attempt, this.opts.restart ?? defaultBackoff);
    this.opts.logger.warn('restarting the inference worker', { attempt: this.attempt, delayMs, after: this.lastFailure });
    this.restartTimer = setTimeout(() => void this.reopen(), delayMs);
  }

  private async reopen(): Promise<void> {
    if (this.hung.size >= (this.opts.maxHung ?? 2)) {
      this.waitingForHung = true;
      this.opts.logger.error('no new inference worker until a hung one returns', { hung: this.hung.size, after: this.lastFailure });
      return;
    }
    this.restarts += 1;
    let engine: SupervisedEngine;
    try {
      engine = await this.open();
    } catch (err) {
      this.failed(`reloading the model failed: ${(err as Error).message}`);
      return this.scheduleRestart();
    }
    const wrongSize = this.sizeMismatch(engine);
    if (wrongSize !== undefined) {
      await engine.close();
      this.failed(wrongSize.message);
      return this.scheduleRestart();
    }
    if (this.closing) return void (await engine.close());
    this.engine = engine;
    this.current = engine.sidecar;
    this.watch(engine);
    this.opts.logger.info('inference worker restarted', { model: engine.modelId, provider: engine.provider, restarts: this.restarts });
  }

  private failed(reason: string): void {
    this.failures += 1;
    this.lastFailure = reason;
    if (this.health.state === 'healthy' && this.failures >= (this.opts.degradedAfter ?? 3)) {
      this.opts.logger.error('inference degraded: repeated failures', { failures: this.failures, reason });
      this.setHealth({ state: 'degraded', reason, failures: this.failures });
    }
  }

  private succeeded(): void {
    this.failures = 0;
    this.attempt = 0;
    if (this.health.state === 'degraded') {
      this.opts.logger.info('inference healthy again');
      this.setHealth({ state: 'healthy' });
    }
  }

  private setHealth(health: EngineHealth): void {
    this.health = health;
    try {
      this.opts.onHealth?.(health);
    } catch (err) {
      this.opts.logger.error('health handler threw', { error: (err as Error).message });
    }
  }
}
