/**
 * The evidence archive under `archive/` of the state folder: for every anomaly reject its frame, heatmap and verdict
 * JSON; for every fail-safe reject (deadline, error) its frame and verdict; and, if configured, one good frame in N
 * per camera. Independent of MQTT: a heatmap the live topic skipped (rate limit, broker down) is still kept here.
 *
 *   archive/<YYYY-MM-DD>/<verdict id, ":" as "+">/verdict.json, frame.png, heatmap.png
 *
 * Writes run one at a time off the decision path (PNG encoding and file writes after the verdict is published);
 * at most `maxPending` wait, beyond that an entry is dropped and counted (never a frame held back for it).
 * The oldest entries are deleted past `maxBytes` or `maxAgeMs` (retention.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { Decision, Logger } from '../../types.js';
import { renderHeatmap } from '../heatmap.js';
import { toDelete, type EvidenceEntry, type RetentionLimits } from './retention.js';

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

function framePng(frame: Decision['frame']): Buffer {
  const png = new PNG({ width: frame.width, height: frame.height });
  for (let i = 0, o = 0; i < frame.width * frame.height * 3; i += 3, o += 4) {
    png.data[o] = frame.pixels[i]!;
    png.data[o + 1] = frame.pixels[i + 1]!;
    png.data[o + 2] = frame.pixels[i + 2]!;
    png.data[o + 3] = 255;
  }
  return PNG.sync.write(png);
}

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
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private readonly okSeen = new Map<string, number>();
  private readonly counts = { archived: 0, dropped: 0, deleted: 0 };
  private readonly now: () => number;

  constructor(private readonly opts: ArchiveOptions) {
    this.now = opts.now ?? Date.now;
    this.entries = scan(opts.dir);
  }

  stats(): ArchiveStats {
    return { ...this.counts, bytes: this.entries.reduce((s, e) => s + e.bytes, 0) };
  }

  /** Keeps the evidence this decision calls for, if any. Never blocks: the write is queued. */
  record(decision: Decision): void {
    const { verdict, inference } = decision;
    let kind: 'anomaly' | 'fail-safe' | 'sample' | undefined;
    if (verdict.reject) kind = verdict.reason === 'anomaly' ? 'anomaly' : 'fail-safe';
    else if (verdict.reason === 'ok' && this.opts.goodSampleEvery > 0) {
      const n = (this.okSeen.get(verdict.camera) ?? 0) + 1;
      this.okSeen.set(verdict.camera, n);
      if (n % this.opts.goodSampleEvery === 0) kind = 'sample';
    }
    if (kind === undefined) return;
    if (this.pending >= (this.opts.maxPending ?? 256)) {
      this.counts.dropped++;
      this.opts.logger.warn('evidence not archived: too many writes waiting (is the state folder\'s disk slow or full?)', { id: verdict.id, dropped: this.counts.dropped });
      return;
    }
    this.pending++;
    this.chain = this.chain
      .then(() => this.write(decision, kind === 'anomaly' && inference !== undefined))
      .catch((err: Error) => {
        this.counts.dropped++;
        this.opts.logger.error('evidence not archived', { id: verdict.id, dir: this.opts.dir, error: err.message });
      })
      .finally(() => this.pending--);
  }

  /** Resolves once every queued write is done. */
  flush(): Promise<void> {
    return this.chain;
  }

  private async write({ verdict, frame, inference }: Decision, withHeatmap: boolean): Promise<void> {
    const dir = join(this.opts.dir, day(verdict.capturedAt), entryName(verdict.id));
    await mkdir(dir, { recursive: true });
    const files: [string, Buffer | string][] = [
      ['verdict.json', `${JSON.stringify(verdict, null, 2)}\n`],
      ['frame.png', framePng(frame)],
    ];
    if (withHeatmap && inference) files.push(['heatmap.png', renderHeatmap({ map: inference.anomalyMap, mapWidth: inference.mapWidth, mapHeight: inference.mapHeight, threshold: verdict.threshold, frame })]);
    for (const [name, data] of files) await writeFile(join(dir, name), data);
    this.entries.push({ dir, bytes: files.reduce((s, [, d]) => s + Buffer.byteLength(d), 0), at: this.now() });
    this.counts.archived++;
    await this.prune();
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
