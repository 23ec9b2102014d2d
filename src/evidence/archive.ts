/**
 * The evidence archive under `archive/` of the state folder: for every anomaly reject its frame, heatmap and verdict
 * JSON; for every fail-safe reject (deadline, error) its frame and verdict; and, if configured, one good frame in N
 * per camera. Independent of MQTT: a heatmap the live topic skipped (rate limit, broker down) is still kept here.
 * For every part decision that rejects or that the fail-safe made, the part's JSON: it names its frames' verdicts,
 * whose own entries hold their frames and heatmaps (a rejected frame is archived as such; a part is rejected by its
 * rejected frames, or by the fail-safe for frames it did not get).
 *
 *   archive/<YYYY-MM-DD>/<verdict id, ":" as "+">/verdict.json, frame.png, heatmap.png
 *   archive/<YYYY-MM-DD>/<part id, ":" as "+">/part.json
 *
 * (an id too long for a file name, from a long camera id, keeps its first bytes and a hash of the whole: `entryName`).
 * A camera with regions keeps each region at the resolution it was inspected at (the camera's own, for tiles at
 * scale 1), with the stitched heatmap over it, pixel for pixel: `region-<name>.png`, `heatmap-<name>.png` (a
 * heatmap for every region of an anomaly reject, each on its region's own threshold). Pictures are downscaled to at
 * most `maxSide` a side.
 *
 * PNG encoding and file writes run in a worker thread (writer-worker.ts), off the decision path; at most
 * `maxPending` frames and `maxPendingBytes` of pictures and maps wait, beyond that an entry is dropped (never a
 * frame held back for it). A part's entry is a small JSON the frames' PNGs must not crowd out: parts have a bound of
 * their own (`maxPendingParts`). Every entry not archived, for whatever reason (drop-tally.ts), is counted by reason,
 * reported to `onDropped` (the metric), and the stretch of drops is told once and summed up every minute; one the
 * disk refused goes to `onProblem` (the status) until entries are archived again.
 * The oldest entries are deleted past `maxBytes` (the disk blocks the entries take, not their bytes) or `maxAgeMs`
 * (retention.ts), aged on the monotonic clock from the start: a wall clock stepped 40 days ahead deletes nothing
 * (the entries found at start are aged by the clock at start).
 *
 * Folder evidence/: the archive, its retention and its writer thread. It imports images/ (the PNGs), shared modules
 * at src/ and platform/ only: never sinks/, broker/, http/, sources/, pipeline/, config.ts or the wiring.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startWorkerThread } from '../entry.js';
import { uniadError } from '../errors.js';
import { failSafePartReasons, type Decision, type Logger, type PartVerdict } from '../types.js';
import { DropTally, dropReason, type DropReason } from './drop-tally.js';
import { oldestToDelete, type EvidenceEntry, type RetentionLimits } from './retention.js';
import type { EvidenceImage, WriteJob, WriteResult } from './writer-worker.js';

/** Why evidence is not being archived now, for the status; from the first drop of a stretch until it ends. */
export interface EvidenceProblem {
  readonly reason: DropReason;
  /** The error the disk gave, or what `busy` means. */
  readonly error: string;
  /** Wall-clock ms of the stretch's first drop (for people). */
  readonly since: number;
}

export interface ArchiveOptions extends RetentionLimits {
  readonly dir: string;
  /** Keep 1 good frame in N per camera; 0 = none. */
  readonly goodSampleEvery: number;
  readonly logger: Logger;
  readonly maxPending?: number;
  /** Part entries waiting, beyond which one is dropped and counted. Default 1024. */
  readonly maxPendingParts?: number;
  /** Bytes of pictures and maps waiting for the writer, at most (a 5 MP region and its map are 35 MB). */
  readonly maxPendingBytes?: number;
  /** Evidence pictures are downscaled to at most this many pixels a side. */
  readonly maxSide?: number;
  /** Every entry not archived, with why. */
  readonly onDropped?: (reason: DropReason) => void;
  /**
   * Entries are being dropped because the disk refuses them (and why, from the first and whenever the reason changes;
   * a writer too far behind, `busy`, is only counted and logged), or not any more (undefined).
   */
  readonly onProblem?: (problem: EvidenceProblem | undefined) => void;
  /** Wall clock, read once at the start (entries found on disk are aged by it) and for the times people read. */
  readonly now?: () => number;
  /** Monotonic clock (ms) that ages entries from the start on. */
  readonly monotonic?: () => number;
  /** How often what is due of the drops is told (summaries, the end of a stretch). Default 5000. */
  readonly reportEveryMs?: number;
}

const defaultMaxSide = 4096;
const defaultMaxPendingBytes = 256 * 1024 * 1024;

export interface ArchiveStats {
  readonly archived: number;
  readonly dropped: number;
  readonly droppedBy: Partial<Record<DropReason, number>>;
  readonly deleted: number;
  /** Disk the entries take (their blocks). */
  readonly bytes: number;
}

/** Most bytes of an entry's folder name: file systems take 255, and a margin costs nothing. */
const maxNameBytes = 200;

/**
 * The folder name of a verdict or part id (`<camera>:<run>:<seq>`, `<camera>:part:<partId>`; a camera id has no
 * "+"): ":" as "+", and whatever else a PLC's part id may hold percent-encoded, so it is one folder name, never a
 * path. An id too long for a file name (a camera id of 250 characters) keeps its first bytes, cut at a character,
 * and a hash of the whole id after `~`: still unique, and `findEvidence` finds it by the same function.
 */
export function entryName(id: string): string {
  const name = encodeURIComponent(id).replaceAll('%3A', '+');
  if (Buffer.byteLength(name) <= maxNameBytes) return name;
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 16);
  let head = '';
  for (const ch of name) {
    if (Buffer.byteLength(head + ch) > maxNameBytes - hash.length - 1) break;
    head += ch;
  }
  return `${head}~${hash}`;
}

/** Disk a file or folder takes: its blocks (st_blocks counts 512-byte units), not its length. */
const diskBytes = (path: string): number => statSync(path).blocks * 512;

const day = (epochMs: number) => new Date(epochMs).toISOString().slice(0, 10);

/** The evidence folder of verdict `id` under `archiveDir`, newest day first; undefined when there is none. */
export function findEvidence(archiveDir: string, id: string): string | undefined {
  if (!existsSync(archiveDir)) return undefined;
  const name = entryName(id);
  for (const d of readdirSync(archiveDir).sort().reverse()) {
    const dir = join(archiveDir, d, name);
    if (existsSync(join(dir, 'verdict.json')) || existsSync(join(dir, 'part.json'))) return dir;
  }
  return undefined;
}

/**
 * Entries already on disk (from earlier runs), with the disk they take and their times on the wall clock at start
 * (`startedAt`): a file time after it (a clock set back since) counts as written at the start.
 */
function scan(archiveDir: string, startedAt: number): EvidenceEntry[] {
  if (!existsSync(archiveDir)) return [];
  const out: EvidenceEntry[] = [];
  for (const d of readdirSync(archiveDir)) {
    const dayDir = join(archiveDir, d);
    if (!statSync(dayDir).isDirectory()) continue;
    for (const name of readdirSync(dayDir)) {
      const dir = join(dayDir, name);
      const files = readdirSync(dir).map((f) => statSync(join(dir, f)));
      out.push({ dir, bytes: diskBytes(dir) + files.reduce((s, f) => s + f.blocks * 512, 0), at: Math.min(startedAt, Math.max(0, ...files.map((f) => f.mtimeMs))) });
    }
  }
  return out.sort((a, b) => a.at - b.at);
}

export class EvidenceArchive {
  /** Oldest first: sorted at start, and appended in the order written (on the monotonic timeline). */
  private entries: EvidenceEntry[];
  private entryBytes = 0;
  private readonly worker: Worker;
  /** Written jobs waiting for the worker's answer: seq → folder, id and the bytes of pictures it holds. */
  private readonly pending = new Map<number, { readonly dir: string; readonly id: string; readonly bytes: number }>();
  private pendingBytes = 0;
  /** The part entries among `pending`. */
  private readonly pendingParts = new Set<number>();
  private nextSeq = 0;
  private idle: (() => void)[] = [];
  /** Verdict or part id → who waits for its entry to be written (settled()). */
  private readonly awaiting = new Map<string, (() => void)[]>();
  private pruning: Promise<void> = Promise.resolve();
  private readonly okSeen = new Map<string, number>();
  private readonly counts = { archived: 0, dropped: 0, deleted: 0 };
  private readonly droppedBy: Partial<Record<DropReason, number>> = {};
  private readonly tally = new DropTally();
  private readonly reporter: NodeJS.Timeout;
  /** Wall clock at the start and the monotonic clock then: the archive's own time line (`timeline`). */
  private readonly startedAt: number;
  private readonly startedMono: number;
  private readonly monotonic: () => number;

  /** Throws ARCHIVE_DIR when the entries already there cannot be read. */
  constructor(private readonly opts: ArchiveOptions) {
    this.startedAt = (opts.now ?? Date.now)();
    this.monotonic = opts.monotonic ?? (() => performance.now());
    this.startedMono = this.monotonic();
    try {
      this.entries = scan(opts.dir, this.startedAt);
      this.entryBytes = this.entries.reduce((sum, e) => sum + e.bytes, 0);
    } catch (err) {
      throw uniadError('ARCHIVE_DIR', opts.dir, (err as Error).message);
    }
    this.worker = startWorkerThread(import.meta.url, './writer-worker.js', undefined);
    this.worker.unref();
    this.worker.on('message', (r: WriteResult) => this.written(r));
    this.worker.on('error', (err) => opts.logger.error('evidence writer failed', { error: err.message }));
    this.reporter = setInterval(() => this.report(), opts.reportEveryMs ?? 5000).unref();
  }

  /** Wall time at the start plus monotonic time since: what entries are aged on, whatever the wall clock does meanwhile. */
  private timeline(): number {
    return this.startedAt + (this.monotonic() - this.startedMono);
  }

  stats(): ArchiveStats {
    return { ...this.counts, droppedBy: { ...this.droppedBy }, bytes: this.entryBytes };
  }

  /** Keeps the evidence this decision calls for, if any. Never blocks: encoding and writing run in a worker. */
  record(decision: Decision): void {
    const { verdict } = decision;
    let kind: 'anomaly' | 'fail-safe' | 'sample' | undefined;
    if (verdict.reject) kind = verdict.reason === 'anomaly' ? 'anomaly' : 'fail-safe';
    else if (verdict.reason === 'ok' && this.opts.goodSampleEvery > 0) {
      const n = (this.okSeen.get(verdict.camera) ?? 0) + 1;
      this.okSeen.set(verdict.camera, n);
      if (n % this.opts.goodSampleEvery === 0) kind = 'sample';
    }
    if (kind === undefined) return;
    const bytes = this.pictureBytes(decision, kind === 'anomaly');
    const frames = this.pending.size - this.pendingParts.size;
    if (frames >= (this.opts.maxPending ?? 64) || this.pendingBytes + bytes > (this.opts.maxPendingBytes ?? defaultMaxPendingBytes)) {
      this.dropped(verdict.id, 'busy', "too many writes waiting (overload, or the state folder's disk is slow)");
      return;
    }
    const seq = this.nextSeq++;
    const dir = join(this.opts.dir, day(verdict.capturedAt), entryName(verdict.id));
    const images = this.pictures(decision, kind === 'anomaly');
    const job: WriteJob = { seq, dir, verdictJson: `${JSON.stringify(verdict, null, 2)}\n`, images, maxSide: this.opts.maxSide ?? defaultMaxSide };
    this.pending.set(seq, { dir, id: verdict.id, bytes });
    this.pendingBytes += bytes;
    this.worker.postMessage(job, images.flatMap((i) => (i.heatmap ? [i.pixels, i.heatmap.map] : [i.pixels])));
  }

  /** The bytes `pictures` would copy, counted before anything is copied (an entry dropped costs no copy). */
  private pictureBytes({ inference, frame }: Decision, heatmaps: boolean): number {
    if (frame.regions === undefined) return frame.pixels.byteLength + (heatmaps ? (inference?.anomalyMap.byteLength ?? 0) : 0);
    return frame.regions.reduce((n, { pixels }, i) => n + pixels.byteLength + (heatmaps ? (inference?.regions?.[i]?.anomalyMap.byteLength ?? 0) : 0), 0);
  }

  /**
   * The pictures of a decision: its frame, or each of its regions, with their heatmaps when `heatmaps`. Copies: the
   * pixels and maps belong to the pipeline; the copies are moved to the worker.
   */
  private pictures({ verdict, inference, frame }: Decision, heatmaps: boolean): EvidenceImage[] {
    const copy = (a: Uint8Array | Float32Array) => a.slice().buffer as ArrayBuffer;
    if (frame.regions === undefined) {
      const heatmap = heatmaps && inference !== undefined ? { file: 'heatmap', map: copy(inference.anomalyMap), mapWidth: inference.mapWidth, mapHeight: inference.mapHeight, threshold: verdict.threshold } : undefined;
      return [{ file: 'frame', width: frame.width, height: frame.height, pixels: copy(frame.pixels), ...(heatmap ? { heatmap } : {}) }];
    }
    return frame.regions.map(({ layout, pixels }, i) => {
      const map = heatmaps ? inference?.regions?.[i] : undefined;
      const threshold = verdict.regions?.[i]?.threshold ?? verdict.threshold;
      const heatmap = map === undefined ? undefined : { file: `heatmap-${layout.name}`, map: copy(map.anomalyMap), mapWidth: map.mapWidth, mapHeight: map.mapHeight, threshold };
      return { file: `region-${layout.name}`, width: layout.width, height: layout.height, pixels: copy(pixels), ...(heatmap ? { heatmap } : {}) };
    });
  }

  /** Keeps the part's decision when it rejects or the fail-safe made it. Never blocks. */
  recordPart(part: PartVerdict): void {
    if (!part.reject && !failSafePartReasons.includes(part.reason)) return;
    if (this.pendingParts.size >= (this.opts.maxPendingParts ?? 1024)) {
      this.dropped(part.id, 'busy', "too many part entries waiting (overload, or the state folder's disk is slow)");
      return;
    }
    const seq = this.nextSeq++;
    const dir = join(this.opts.dir, day(part.decidedAt), entryName(part.id));
    this.pending.set(seq, { dir, id: part.id, bytes: 0 });
    this.pendingParts.add(seq);
    this.worker.postMessage({ seq, dir, partJson: `${JSON.stringify(part, null, 2)}\n` } satisfies WriteJob);
  }

  /**
   * Resolves once the entry of `id` is written or dropped, when one is waiting to be; at once when none is. Who reads
   * a just-recorded reject from the archive (operator feedback) waits for it rather than finding nothing.
   */
  settled(id: string): Promise<void> {
    if (!this.isPending(id)) return Promise.resolve();
    return new Promise((resolve) => this.awaiting.set(id, [...(this.awaiting.get(id) ?? []), resolve]));
  }

  /** Whether an entry of `id` waits for the worker. */
  private isPending(id: string): boolean {
    return [...this.pending.values()].some((p) => p.id === id);
  }

  /** Resolves once every recorded entry is written (and the archive pruned). */
  async flush(): Promise<void> {
    if (this.pending.size > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    await this.pruning;
  }

  /** Writes what is recorded, then ends the writer (and says what is left to say of drops). */
  async close(): Promise<void> {
    await this.flush();
    clearInterval(this.reporter);
    this.report(true);
    await this.worker.terminate();
  }

  /** An entry not archived: counted, and told as drop-tally.ts says (the first of a stretch whole, the rest summed). */
  private dropped(id: string, reason: DropReason, error: string): void {
    this.counts.dropped++;
    this.droppedBy[reason] = (this.droppedBy[reason] ?? 0) + 1;
    this.opts.onDropped?.(reason);
    const { first, changed } = this.tally.drop(reason, this.monotonic());
    if (first) this.opts.logger.error('evidence not archived; until it is again, further drops are summed up once a minute', { id, reason, error });
    // A writer behind under a burst is counted and told, not a fault of the box: the status names what the disk says.
    if (changed && reason !== 'busy') this.opts.onProblem?.({ reason, error, since: (this.opts.now ?? Date.now)() });
  }

  /** Summaries of drops and the end of a stretch of them, when due (all that is pending on `closing`). */
  private report(closing = false): void {
    const { summary, ended } = this.tally.due(closing ? Infinity : this.monotonic());
    if (summary) this.opts.logger.warn(`evidence not archived: ${summary.dropped} more`, { byReason: summary.byReason, droppedSinceStart: this.counts.dropped });
    if (ended) {
      this.opts.logger.info('evidence archived again', { dropped: ended.dropped });
      this.opts.onProblem?.(undefined);
    }
  }

  private written(r: WriteResult): void {
    const job = this.pending.get(r.seq);
    this.pending.delete(r.seq);
    if (job === undefined) return;
    this.pendingBytes -= job.bytes;
    this.pendingParts.delete(r.seq);
    if ('error' in r) {
      this.dropped(job.id, dropReason(r.code), r.error);
    } else {
      this.entries.push({ dir: job.dir, bytes: r.bytes, at: this.timeline() });
      this.entryBytes += r.bytes;
      this.counts.archived++;
      this.tally.archived();
      this.pruning = this.pruning.then(() => this.prune());
    }
    const waiters = this.awaiting.get(job.id);
    if (waiters !== undefined && !this.isPending(job.id)) {
      this.awaiting.delete(job.id);
      waiters.forEach((w) => w());
    }
    if (this.pending.size === 0) {
      const waiting = this.idle;
      this.idle = [];
      void this.pruning.then(() => waiting.forEach((w) => w()));
    }
  }

  private async prune(): Promise<void> {
    const n = oldestToDelete(this.entries, this.entryBytes, this.opts, this.timeline());
    if (n === 0) return;
    const gone = this.entries.splice(0, n);
    for (const e of gone) this.entryBytes -= e.bytes;
    for (const e of gone) await rm(e.dir, { recursive: true, force: true });
    this.counts.deleted += gone.length;
  }
}

/** The verdict JSON of an evidence folder, or the part JSON of a part's. */
export const readEvidenceVerdict = (dir: string): unknown => JSON.parse(readFileSync(join(dir, existsSync(join(dir, 'part.json')) ? 'part.json' : 'verdict.json'), 'utf8'));
