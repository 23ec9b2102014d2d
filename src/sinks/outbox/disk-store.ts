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
 * A torn last line (crash mid-write) is ignored on open; any other unreadable line is an error that names the file.
 *
 * One process per folder: two stores on the same folder would interleave their logs.
 *
 * A disk that cannot be written (full: ENOSPC, EDQUOT; read-only or failing: EROFS, EIO), at start or later, does not
 * stop the queue: the store goes on in memory (the same bounded `max`, what it held kept), reports the problem
 * through `onProblem`, and every `retryMs` tries to write the whole queue to a fresh log; once that works it is
 * durable again and reports `undefined`. While it is in memory, a crash loses what was queued since, and a message
 * acknowledged since may be sent again after a restart (at least once, as always).
 */
import { closeSync, fsync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UniadError, uniadError } from '../../errors.js';
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
}

/** Errors of a disk that cannot take writes now, as opposed to a bug or a corrupt file. */
const unwritable = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO']);
const isUnwritable = (err: unknown): boolean => unwritable.has((err as NodeJS.ErrnoException).code ?? '');

/** One line of the log: a put, a delete (`x`: a drop), or the drop count a compacted log starts with. */
type LogLine = { k: number; t: string; p: string } | { d: number; x?: 1 } | { dropped: number };

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
    try {
      mkdirSync(options.dir, { recursive: true });
      this.load();
    } catch (err) {
      throw err instanceof UniadError ? err : uniadError('OUTBOX_STORE', this.path, (err as Error).message);
    }
    try {
      this.fd = this.rewrite();
    } catch (err) {
      if (!isUnwritable(err)) throw uniadError('OUTBOX_STORE', this.path, (err as Error).message);
      this.toMemory(err as Error);
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

  /** Writes the whole queue to a fresh log; from then on it is durable again. */
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

  /** Replays the log into memory. */
  private load(): void {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const lines = text.split('\n');
    const pending = new Map<number, StoredMessage>();
    let dropped = 0;
    lines.forEach((line, i) => {
      if (line === '') return;
      let r: LogLine;
      try {
        r = JSON.parse(line) as LogLine;
      } catch {
        if (i === lines.length - 1) return; // torn last write: that message was never acknowledged as stored
        throw uniadError('OUTBOX_STORE', this.path, `line ${i + 1} is not a queue record`);
      }
      if ('dropped' in r) dropped += r.dropped;
      else if ('d' in r) {
        pending.delete(r.d);
        if (r.x) dropped++;
      } else pending.set(r.k, { key: r.k, topic: r.t, payload: r.p });
    });
    for (const m of [...pending.values()].sort((a, b) => a.key - b.key)) this.memory.insert(m);
    this.memory.addDropped(dropped);
  }

  /** Writes the drop count and the live messages to a new log, makes it durable, swaps it in; returns the descriptor to append to. */
  private rewrite(): number {
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
