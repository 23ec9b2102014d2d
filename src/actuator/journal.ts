/**
 * The actuator's journal: one JSON line per event a plant may audit (every ejection with its part id, decision,
 * reason and slack; late and duplicate decisions; parts missed while blind; holds), in
 * `<state>/actuator/<name>/journal.jsonl`. Bounded: past `maxBytes` the file becomes `journal.1.jsonl` (replacing
 * the one before), so at most twice `maxBytes` is kept.
 *
 * Appended synchronously, after the output was driven: the order on disk is the order of events. A write that fails
 * (a full disk) is logged once and counted, and the actuator goes on ejecting.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../types.js';

export interface JournalEntry {
  readonly kind: 'ejection' | 'decision' | 'missed' | 'hold';
  readonly [field: string]: unknown;
}

export class Journal {
  readonly path: string;
  private readonly older: string;
  private size: number;
  private failing = false;

  constructor(
    dir: string,
    private readonly maxBytes: number,
    private readonly logger: Logger,
    private readonly onError: () => void = () => undefined,
  ) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, 'journal.jsonl');
    this.older = join(dir, 'journal.1.jsonl');
    this.size = existsSync(this.path) ? statSync(this.path).size : 0;
  }

  write(entry: JournalEntry, at = Date.now()): void {
    const line = JSON.stringify({ t: new Date(at).toISOString(), ...entry }) + '\n';
    try {
      if (this.size + line.length > this.maxBytes && this.size > 0) {
        renameSync(this.path, this.older);
        this.size = 0;
      }
      appendFileSync(this.path, line);
      this.size += Buffer.byteLength(line);
      if (this.failing) this.logger.info('actuator: the journal is written again', { path: this.path });
      this.failing = false;
    } catch (err) {
      this.onError();
      if (!this.failing) this.logger.error('actuator: cannot write the journal; ejections go on, unjournaled, until it can', { path: this.path, error: (err as Error).message });
      this.failing = true;
    }
  }

  /** The ejections of both files, oldest first: what a restart must not apply again. */
  ejections(): { readonly id: string; readonly decided: boolean }[] {
    return [this.older, this.path].flatMap((file) => {
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line) => {
          try {
            const e = JSON.parse(line) as { kind?: unknown; id?: unknown; reason?: unknown };
            return e.kind === 'ejection' && typeof e.id === 'string' ? [{ id: e.id, decided: e.reason === 'decided' }] : [];
          } catch {
            // a line cut short by a crash
            return [];
          }
        });
    });
  }
}
