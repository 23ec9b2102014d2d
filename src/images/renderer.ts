/**
 * The main-thread side of render-worker.ts: hands heatmap and feed jobs to one worker thread and gives back their
 * PNG bytes, so no image is coloured or encoded on the thread that decides and publishes verdicts.
 *
 * Bounded: at most `maxPending` jobs wait; beyond that `render` takes none (the caller counts it) rather than let
 * images queue behind a slow CPU. A worker that dies fails its waiting jobs and is replaced at the next job.
 */
import type { Worker } from 'node:worker_threads';
import { startWorkerThread } from '../entry.js';
import type { Logger } from '../types.js';
import type { RenderJob, RenderReply } from './render-worker.js';

export class Renderer {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, { resolve: (png: Buffer) => void; reject: (err: Error) => void }>();
  private nextSeq = 0;
  private drained: (() => void)[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly maxPending = 16,
  ) {}

  /** Jobs handed to the worker and not answered yet. */
  get pending(): number {
    return this.waiting.size;
  }

  /**
   * The PNG of `job`, rendered in the worker; undefined when `maxPending` jobs already wait. The buffers in
   * `transfer` move to the worker (the caller's copies); the rest of the job is copied.
   */
  render(job: RenderJob, transfer: readonly ArrayBuffer[] = []): Promise<Buffer> | undefined {
    if (this.waiting.size >= this.maxPending) return undefined;
    const seq = this.nextSeq++;
    const worker = this.start();
    return new Promise<Buffer>((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      worker.postMessage({ ...job, seq }, [...transfer]);
    });
  }

  /** Waits up to `limitMs` for the jobs already taken, then ends the worker. */
  async close(limitMs: number): Promise<void> {
    if (this.waiting.size > 0) {
      await Promise.race([new Promise<void>((resolve) => this.drained.push(resolve)), new Promise((resolve) => setTimeout(resolve, limitMs).unref())]);
    }
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorkerThread(import.meta.url, './render-worker.js', undefined);
    worker.unref();
    worker.on('message', (reply: RenderReply) => this.answer(reply));
    const fail = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.logger.error('image renderer stopped; a new one starts with the next image', { error: why });
      const waiting = [...this.waiting.values()];
      this.waiting.clear();
      for (const w of waiting) w.reject(new Error(`image renderer stopped: ${why}`));
      this.wakeDrained();
    };
    worker.on('error', (err) => fail(err.message));
    worker.on('exit', (code) => fail(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  private answer(reply: RenderReply): void {
    const w = this.waiting.get(reply.seq);
    this.waiting.delete(reply.seq);
    if ('error' in reply) w?.reject(new Error(reply.error));
    else w?.resolve(Buffer.from(reply.png.buffer, reply.png.byteOffset, reply.png.byteLength));
    if (this.waiting.size === 0) this.wakeDrained();
  }

  private wakeDrained(): void {
    const drained = this.drained;
    this.drained = [];
    for (const d of drained) d();
  }
}
