/**
 * The evidence archive under `archive/` of the state folder: for every anomaly reject its frame, heatmap and verdict
 * JSON; for every fail-safe reject (deadline, error) its frame and verdict; and, if configured, one good frame in N
 * per camera. Independent of MQTT: a heatmap the live topic skipped (rate limit, broker down) is still kept here.
 *
 *   archive/<YYYY-MM-DD>/<verdict id, ":" as "+">/verdict.json, frame.png, heatmap.png
 *
 * PNG encoding and file writes run in a worker thread (writer-worker.ts), off the decision path; at most
 * `maxPending` wait, beyond that an entry is dropped and counted (never a frame held back for it).
 * The oldest entries are deleted past `maxBytes` or `maxAgeMs` (retention.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startWorkerThread } from '../../entry.js';
import type { Decision, Logger } from '../../types.js';
import { toDelete, type EvidenceEntry, type RetentionLimits } from './retention.js';
import type { WriteJob, WriteResult } from './writer-worker.js';

export interface ArchiveOptions extends RetentionLimits {
  readonly dir: string;
  /** Keep 1 good frame in N per camera; 0 = none. */
  readonly goodSampleEvery: number;
  readonly logger: Logger;
  readonly maxPending?: number;
  readonly now?: () => number;
}

export interface ArchiveStats {
  readonly archived: number;
  readonly dropped: number;
  readonly deleted: number;
  readonly bytes: number;
}

/** The folder name of a verdict id (ids are `<camera>:<run>:<seq>`; a camera id has no "+"). */
export const entryName = (id: string): string => id.replaceAll(':', '+');

const day = (epochMs: number) => new Date(epochMs).toISOString().slice(0, 10);

/** The evidence folder of verdict `id` under `archiveDir`, newest day first; undefined when there is none. */
export function findEvidence(archiveDir: string, id: string): string | undefined {
  if (!existsSync(archiveDir)) return undefined;
  const name = entryName(id);
  for (const d of readdirSync(archiveDir).sort().reverse()) {
    const dir = join(archiveDir, d, name);
    if (existsSync(join(dir, 'verdict.json'))) return dir;
  }
  return undefined;
}

/** Entries already on disk (from earlier runs), with their sizes and times. */
function scan(archiveDir: string): EvidenceEntry[] {
  if (!existsSync(archiveDir)) return [];
  const out: EvidenceEntry[] = [];
  for (const d of readdirSync(archiveDir)) {
    const dayDir = join(archiveDir, d);
    if (!statSync(dayDir).isDirectory()) continue;
    for (const name of readdirSync(dayDir)) {
      const dir = join(dayDir, name);
      const files = readdirSync(dir).map((f) => statSync(join(dir, f)));
      out.push({ dir, bytes: files.reduce((s, f) => s + f.size, 0), at: Math.max(0, ...files.map((f) => f.mtimeMs)) });
    }
  }
  return out;
}

export class EvidenceArchive {
  private entries: EvidenceEntry[];
  private readonly worker: Worker;
  /** Written jobs waiting for the worker's answer: seq → folder. */
  private readonly pending = new Map<number, string>();
  private nextSeq = 0;
  private idle: (() => void)[] = [];
  private pruning: Promise<void> = Promise.resolve();
  private readonly okSeen = new Map<string, number>();
  private readonly counts = { archived: 0, dropped: 0, deleted: 0 };
  private readonly now: () => number;

  constructor(private readonly opts: ArchiveOptions) {
    this.now = opts.now ?? Date.now;
    this.entries = scan(opts.dir);
    this.worker = startWorkerThread(import.meta.url, './writer-worker.js', undefined);
    this.worker.unref();
    this.worker.on('message', (r: WriteResult) => this.written(r));
    this.worker.on('error', (err) => opts.logger.error('evidence writer failed', { error: err.message }));
  }

  stats(): ArchiveStats {
    return { ...this.counts, bytes: this.entries.reduce((s, e) => s + e.bytes, 0) };
  }

  /** Keeps the evidence this decision calls for, if any. Never blocks: encoding and writing run in a worker. */
  record(decision: Decision): void {
    const { verdict, inference, frame } = decision;
    let kind: 'anomaly' | 'fail-safe' | 'sample' | undefined;
    if (verdict.reject) kind = verdict.reason === 'anomaly' ? 'anomaly' : 'fail-safe';
    else if (verdict.reason === 'ok' && this.opts.goodSampleEvery > 0) {
      const n = (this.okSeen.get(verdict.camera) ?? 0) + 1;
      this.okSeen.set(verdict.camera, n);
      if (n % this.opts.goodSampleEvery === 0) kind = 'sample';
    }
    if (kind === undefined) return;
    if (this.pending.size >= (this.opts.maxPending ?? 64)) {
      // Logged at the first and every 100th, not for each: an overload can drop thousands.
      if (this.counts.dropped++ % 100 === 0) this.opts.logger.warn("evidence not archived: too many writes waiting (overload, or the state folder's disk is slow or full)", { id: verdict.id, dropped: this.counts.dropped });
      return;
    }
    const seq = this.nextSeq++;
    const dir = join(this.opts.dir, day(verdict.capturedAt), entryName(verdict.id));
    // Copies: the frame and the map belong to the pipeline; the copies are moved to the worker.
    const pixels = frame.pixels.slice().buffer as ArrayBuffer;
    const heatmap = kind === 'anomaly' && inference !== undefined ? { map: inference.anomalyMap.slice().buffer as ArrayBuffer, mapWidth: inference.mapWidth, mapHeight: inference.mapHeight, threshold: verdict.threshold } : undefined;
    const job: WriteJob = { seq, dir, verdictJson: `${JSON.stringify(verdict, null, 2)}\n`, width: frame.width, height: frame.height, pixels, ...(heatmap ? { heatmap } : {}) };
    this.pending.set(seq, dir);
    this.worker.postMessage(job, heatmap ? [pixels, heatmap.map] : [pixels]);
  }

  /** Resolves once every recorded entry is written (and the archive pruned). */
  async flush(): Promise<void> {
    if (this.pending.size > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    await this.pruning;
  }

  /** Writes what is recorded, then ends the writer. */
  async close(): Promise<void> {
    await this.flush();
    await this.worker.terminate();
  }

  private written(r: WriteResult): void {
    const dir = this.pending.get(r.seq);
    this.pending.delete(r.seq);
    if ('error' in r) {
      this.counts.dropped++;
      this.opts.logger.error('evidence not archived', { dir, error: r.error });
    } else if (dir !== undefined) {
      this.entries.push({ dir, bytes: r.bytes, at: this.now() });
      this.counts.archived++;
      this.pruning = this.pruning.then(() => this.prune());
    }
    if (this.pending.size === 0) {
      const waiting = this.idle;
      this.idle = [];
      void this.pruning.then(() => waiting.forEach((w) => w()));
    }
  }

  private async prune(): Promise<void> {
    const gone = toDelete(this.entries, this.opts, this.now());
    if (gone.length === 0) return;
    const doomed = new Set(gone);
    this.entries = this.entries.filter((e) => !doomed.has(e));
    for (const e of gone) await rm(e.dir, { recursive: true, force: true });
    this.counts.deleted += gone.length;
  }
}

/** The verdict JSON of an evidence folder. */
export const readEvidenceVerdict = (dir: string): unknown => JSON.parse(readFileSync(join(dir, 'verdict.json'), 'utf8'));
