/**
 * The disk message store: the offline queue survives a service restart (or a crash, or kill -9).
 *
 * Layout: one append-only log `<dir>/outbox.log` of JSON lines, `{"k":key,"t":topic,"p":payload}` for a put and
 * `{"d":key}` for a delete (acknowledged or dropped; `"x":1` marks a drop, and a compacted log starts with
 * `{"dropped":n}`, so the drop count survives restarts).
 * The live messages are also held in memory (a `MemoryStore`, bounded by `max`), so reads never touch the disk.
 * Opening replays the log and compacts it; while running, the log is compacted (live messages rewritten to a temp
 * file, fsynced, renamed over the log) once it holds more than `compactAfter` dead records and more dead than live.
 *
 * Durability (fsync policy): every put/del is written to the file at once with a synchronous write, so the
 * operating system holds it even if the process dies a moment later. The file is fsynced every `fsyncIntervalMs`
 * (default 1000, off the main thread) when anything was written, at compaction and at close: a power loss can lose
 * at most the last interval or two. `fsyncIntervalMs: 0` fsyncs after every write (each costs a disk flush; slow on SD cards).
 * A line that is not a record (a torn last write after a crash, a damaged block, a tail of zeros that a power loss
 * left where the file had grown but its data never reached the disk) is skipped on open: the rest is replayed, the
 * damaged lines are set aside in `<dir>/outbox.damaged` (one JSON line each, NUL runs counted, not copied), and
 * `onDamage` says how many lines and bytes, about how many messages they held, and the last intact one.
 *
 * One process per folder: two stores on the same folder would interleave their logs.
 *
 * A disk that cannot be written (full: ENOSPC, EDQUOT; read-only or failing: EROFS, EIO; a folder that cannot be
 * made: a file in its place, no permission), at start or later, does not stop the queue: the store goes on in memory
 * (the same bounded `max`, what it held kept), reports the problem through `onProblem`, and every `retryMs` tries to
 * write the whole queue to a fresh log; once that works it is durable again and reports `undefined`. While it is in
 * memory, a crash loses what was queued since, and a message acknowledged since may be sent again after a restart
 * (at least once, as always). A log that exists but cannot be read (`onUnreadable`) is left as it is, never
 * overwritten: the store stays in memory for the run.
 */
import { appendFileSync, closeSync, fsync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MemoryStore } from './memory-store.js';
import type { MessageStore, StoredMessage } from './store.js';

export interface DiskStoreOptions {
  /** Folder of the queue file; created if missing. */
  readonly dir: string;
  /** Most messages held; a put beyond it drops the oldest. */
  readonly max: number;
  readonly fsyncIntervalMs?: number;
  /** Dead records tolerated before a compaction is considered. Default 1000. */
  readonly compactAfter?: number;
  /** Why the queue cannot be written to disk now (it is held in memory meanwhile), or undefined once it can again. */
  readonly onProblem?: (problem: string | undefined) => void;
  /** How often a store in memory tries the disk again. Default 5000. */
  readonly retryMs?: number;
  /** The log had lines that are not records; they were skipped and set aside. */
  readonly onDamage?: (damage: QueueDamage) => void;
  /** The log exists but cannot be read; the store runs in memory and leaves the file alone. */
  readonly onUnreadable?: (path: string, why: string) => void;
}

/** What `onDamage` reports of a log read at open. */
export interface QueueDamage {
  readonly path: string;
  /** Lines that were not records, skipped. */
  readonly lines: number;
  /** Their length in bytes, and how many of those were NUL (blocks a power loss left unwritten). */
  readonly bytes: number;
  readonly zeroBytes: number;
  /** About how many messages those bytes held: their length over the mean length of an intact put record. */
  readonly messagesLost: number;
  /** The last intact put before the first damaged line, if any. */
  readonly lastIntact?: StoredMessage;
  /** Where the damaged lines were set aside (absent when that could not be written either). */
  readonly setAsideIn?: string;
}

/**
 * Errors of a disk or folder that cannot take writes now (full, read-only, failing; a folder that cannot be made or
 * written: a file in its place, no permission), as opposed to a bug.
 */
const unwritable = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO', 'EEXIST', 'ENOTDIR', 'EACCES', 'EPERM', 'ENOENT', 'EISDIR']);
const isUnwritable = (err: unknown): boolean => unwritable.has((err as NodeJS.ErrnoException).code ?? '');

/** One line of the log: a put, a delete (`x`: a drop), or the drop count a compacted log starts with. */
type LogLine = { k: number; t: string; p: string } | { d: number; x?: 1 } | { dropped: number };

/** The record a line holds, or undefined when it holds none (not JSON, or JSON of another shape). */
function parseRecord(line: string): LogLine | undefined {
  let r: unknown;
  try {
    r = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof r !== 'object' || r === null) return undefined;
  const o = r as Record<string, unknown>;
  if (Number.isInteger(o.k) && typeof o.t === 'string' && typeof o.p === 'string') return o as LogLine;
  if (Number.isInteger(o.d)) return o as LogLine;
  if (Number.isInteger(o.dropped)) return o as LogLine;
  return undefined;
}

export class DiskStore implements MessageStore {
  private readonly memory: MemoryStore;
  private readonly path: string;
  /** The log appended to; undefined while the disk cannot be written (the queue is in memory only). */
  private fd: number | undefined;
  private retry: NodeJS.Timeout | undefined;
  private dead = 0;
  private dirty = false;
  private syncing = false;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly fsyncEach: boolean;
  private readonly compactAfter: number;

  constructor(private readonly options: DiskStoreOptions) {
    this.memory = new MemoryStore(options.max);
    this.path = join(options.dir, 'outbox.log');
    this.compactAfter = options.compactAfter ?? 1000;
    const interval = options.fsyncIntervalMs ?? 1000;
    this.fsyncEach = interval === 0;
    let readable: boolean;
    try {
      readable = this.load();
    } catch (err) {
      // the queued messages are in that file: never overwrite it, run in memory until a person looks
      readable = false;
      this.options.onUnreadable?.(this.path, `${(err as NodeJS.ErrnoException).code ?? 'error'}: ${(err as Error).message}`);
    }
    if (readable) {
      try {
        this.fd = this.rewrite();
      } catch (err) {
        if (!isUnwritable(err)) throw err;
        this.toMemory(err as Error);
      }
    }
    // an unref'd timer never keeps the service alive on its own
    this.timer = this.fsyncEach ? undefined : setInterval(() => this.syncInBackground(), interval).unref();
  }

  get size(): number {
    return this.memory.size;
  }

  get dropped(): number {
    return this.memory.dropped;
  }

  put(topic: string, payload: string): number {
    if (this.memory.size >= this.memory.max) {
      const key = this.memory.dropOldest();
      if (key !== undefined) this.append({ d: key, x: 1 });
    }
    const key = this.memory.put(topic, payload);
    this.append({ k: key, t: topic, p: payload });
    return key;
  }

  get(key: number): StoredMessage | undefined {
    return this.memory.get(key);
  }

  del(key: number): void {
    if (this.memory.get(key) === undefined) return;
    this.memory.del(key);
    this.append({ d: key });
    if (this.dead > this.compactAfter && this.dead > this.memory.size) this.compact();
  }

  stream(fromKey?: number): IterableIterator<StoredMessage> {
    return this.memory.stream(fromKey);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.retry) clearInterval(this.retry);
    this.sync();
    if (this.fd !== undefined) closeSync(this.fd);
  }

  private append(record: LogLine): void {
    if (this.fd === undefined) return;
    const line = JSON.stringify(record) + '\n';
    try {
      const written = writeSync(this.fd, line);
      if (written < Buffer.byteLength(line)) throw Object.assign(new Error(`short write (${written} of ${Buffer.byteLength(line)} bytes)`), { code: 'ENOSPC' });
      if (this.fsyncEach) fsyncSync(this.fd);
      else this.dirty = true;
    } catch (err) {
      if (!isUnwritable(err)) throw err;
      this.toMemory(err as Error);
      return;
    }
    if ('d' in record) this.dead += 2; // the put and its delete are both dead now
  }

  /**
   * The periodic fsync, in libuv's thread pool: a disk flush takes milliseconds (tens on an SD card), which on the
   * main thread would hold back every verdict behind it. Appends go on meanwhile; the next interval flushes them.
   */
  private syncInBackground(): void {
    if (!this.dirty || this.fd === undefined || this.syncing) return;
    const fd = this.fd;
    this.dirty = false;
    this.syncing = true;
    fsync(fd, (err) => {
      this.syncing = false;
      // a log swapped meanwhile (compaction, back to disk) was made durable by the swap itself
      if (err === null || fd !== this.fd) return;
      this.dirty = true;
      this.toMemory(err);
    });
  }

  private sync(): void {
    if (!this.dirty || this.fd === undefined) return;
    try {
      fsyncSync(this.fd);
    } catch (err) {
      if (!isUnwritable(err)) throw err;
      this.toMemory(err as Error);
      return;
    }
    this.dirty = false;
  }

  /** The disk failed a write: go on in memory and try the disk again every `retryMs`. */
  private toMemory(err: Error): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // the descriptor is of no use either way
      }
      this.fd = undefined;
    }
    this.dirty = false;
    this.options.onProblem?.(`${(err as NodeJS.ErrnoException).code ?? 'error'}: ${err.message}`);
    this.retry ??= setInterval(() => this.backToDisk(), this.options.retryMs ?? 5000).unref();
  }

  /** Writes the whole queue to a fresh log (its folder made if need be); from then on it is durable again. */
  private backToDisk(): void {
    try {
      this.fd = this.rewrite();
    } catch (err) {
      if (!isUnwritable(err)) throw err;
      return; // still full: the next try will tell
    }
    clearInterval(this.retry);
    this.retry = undefined;
    this.options.onProblem?.(undefined);
  }

  /**
   * Replays the log into memory, skipping lines that are not records (reported through `onDamage`). False when the
   * log is there but could not be read because its folder cannot be (a file in its place): nothing to replay, the
   * store goes to memory. Throws when the log itself cannot be read.
   */
  private load(): boolean {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return true;
      if (code === 'ENOTDIR') {
        this.toMemory(err as Error);
        return false;
      }
      throw err;
    }
    const pending = new Map<number, StoredMessage>();
    let dropped = 0;
    const damaged: { line: number; text: string }[] = [];
    let lastIntact: StoredMessage | undefined;
    let putBytes = 0;
    let puts = 0;
    text.split('\n').forEach((line, i) => {
      if (line === '') return;
      const r = parseRecord(line);
      if (r === undefined) {
        damaged.push({ line: i + 1, text: line });
        return;
      }
      if ('dropped' in r) dropped += r.dropped;
      else if ('d' in r) {
        pending.delete(r.d);
        if (r.x) dropped++;
      } else {
        const m = { key: r.k, topic: r.t, payload: r.p };
        pending.set(r.k, m);
        puts++;
        putBytes += Buffer.byteLength(line) + 1;
        if (damaged.length === 0) lastIntact = m;
      }
    });
    for (const m of [...pending.values()].sort((a, b) => a.key - b.key)) this.memory.insert(m);
    this.memory.addDropped(dropped);
    if (damaged.length > 0) this.reportDamage(damaged, puts === 0 ? 0 : putBytes / puts, lastIntact);
    return true;
  }

  /** Sets the damaged lines aside (NUL runs counted, not copied) and says what was lost. */
  private reportDamage(damaged: readonly { line: number; text: string }[], meanPutBytes: number, lastIntact: StoredMessage | undefined): void {
    const bytes = damaged.reduce((sum, d) => sum + Buffer.byteLength(d.text) + 1, 0);
    const zeroBytes = damaged.reduce((sum, d) => sum + (d.text.match(/\0/g)?.length ?? 0), 0);
    const setAsideIn = join(this.options.dir, 'outbox.damaged');
    const at = new Date().toISOString();
    let written = true;
    try {
      appendFileSync(setAsideIn, damaged.map((d) => JSON.stringify({ at, file: this.path, line: d.line, text: d.text.replaceAll('\0', ''), zeroBytes: d.text.length - d.text.replaceAll('\0', '').length }) + '\n').join(''));
    } catch {
      written = false; // the report below still says what was lost
    }
    this.options.onDamage?.({
      path: this.path,
      lines: damaged.length,
      bytes,
      zeroBytes,
      messagesLost: meanPutBytes > 0 ? Math.max(1, Math.round(bytes / meanPutBytes)) : damaged.length,
      ...(lastIntact && { lastIntact }),
      ...(written && { setAsideIn }),
    });
  }

  /** Writes the drop count and the live messages to a new log, makes it durable, swaps it in; returns the descriptor to append to. */
  private rewrite(): number {
    mkdirSync(this.options.dir, { recursive: true });
    const tmp = `${this.path}.tmp`;
    let body = this.memory.dropped > 0 ? JSON.stringify({ dropped: this.memory.dropped }) + '\n' : '';
    for (const m of this.memory.stream()) body += JSON.stringify({ k: m.key, t: m.topic, p: m.payload }) + '\n';
    const fd = openSync(tmp, 'w');
    try {
      const written = writeSync(fd, body);
      if (written < Buffer.byteLength(body)) throw Object.assign(new Error(`short write (${written} of ${Buffer.byteLength(body)} bytes)`), { code: 'ENOSPC' });
      fsyncSync(fd);
    } catch (err) {
      // a half-written copy must not hold on to the space that is missing
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw err;
    }
    closeSync(fd);
    renameSync(tmp, this.path);
    // the rename itself is only durable once the folder is
    const dir = openSync(dirname(this.path), 'r');
    fsyncSync(dir);
    closeSync(dir);
    this.dead = 0;
    this.dirty = false;
    return openSync(this.path, 'a');
  }

  private compact(): void {
    if (this.fd === undefined) return;
    this.sync();
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    try {
      this.fd = this.rewrite();
    } catch (err) {
      if (!isUnwritable(err)) throw err;
      this.toMemory(err as Error);
    }
  }
}
