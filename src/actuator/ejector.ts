/**
 * The reject position of one output over time: pulses for rejected parts and the hold ("divert all"), combined into
 * the on/off the output is driven to. Writes go one at a time; the output is driven to what is wanted when a write
 * ends, so a burst of pulses never queues stale writes.
 *
 * - A pulse keeps the output on for `pulseMs` from the moment the output confirmed it was on; pulses that overlap
 *   extend each other.
 * - A write that fails is retried every `retryMs` while it still matters: the hold and the way back to off until
 *   they succeed, a pulse only within its own `pulseMs` (later, another part would be at the ejector). A pulse
 *   that never reached the output resolves false: its part was not rejected, which the station records.
 * - Started, it drives the output to what is wanted (off, unless a pulse or the hold came first): an output a crashed
 *   run left on is turned off, and the position is known from then on (`position`).
 */
import type { RejectOutput } from './outputs/output.js';

export interface EjectorOptions {
  readonly pulseMs: number;
  readonly retryMs?: number;
  /** Every failed write, with what it was for. */
  readonly onError: (err: Error, on: boolean) => void;
  readonly now?: () => number;
}

export type OutputPosition = 'on' | 'off' | 'unknown';

interface Pulse {
  readonly at: number;
  readonly done: (ok: boolean) => void;
}

export class Ejector {
  private held = false;
  private pulseUntil = -Infinity;
  private waiting: Pulse[] = [];
  private driven: boolean | undefined;
  private writing = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly now: () => number;
  private readonly retryMs: number;

  constructor(
    private readonly output: RejectOutput,
    private readonly opts: EjectorOptions,
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.retryMs = opts.retryMs ?? 100;
  }

  /** Drives the output to what is wanted now, so its position is known before the first part. */
  start(): void {
    this.apply();
  }

  /** What the output last confirmed it was driven to; unknown before the first write or after a failed one. */
  get position(): OutputPosition {
    return this.driven === undefined ? 'unknown' : this.driven ? 'on' : 'off';
  }

  /** A rejected part is at the ejector: resolves true once the output is on (at once while held), false if it could not be. */
  pulse(): Promise<boolean> {
    return new Promise((done) => {
      this.waiting.push({ at: this.now(), done });
      this.apply();
    });
  }

  hold(on: boolean, why: string): void {
    if (on === this.held) return;
    this.held = on;
    this.output.hold?.(on, why).catch((err: Error) => this.opts.onError(err, on));
    this.apply();
  }

  get holding(): boolean {
    return this.held;
  }

  private wanted(now: number): boolean {
    return this.held || this.waiting.length > 0 || now < this.pulseUntil;
  }

  private apply(): void {
    if (this.writing || this.closed) return;
    const now = this.now();
    // pulses whose moment passed without the output coming on failed
    for (const p of this.waiting.filter((w) => now - w.at > this.opts.pulseMs)) p.done(false);
    this.waiting = this.waiting.filter((w) => now - w.at <= this.opts.pulseMs);
    const want = this.wanted(now);
    if (want === this.driven) {
      if (want) this.served(now);
      // a timer may fire a little before the pulse's end: look again then
      if (now < this.pulseUntil) this.later(this.pulseUntil - now);
      return;
    }
    this.writing = true;
    this.output.drive(want).then(
      () => {
        this.writing = false;
        this.driven = want;
        if (want) this.served(this.now());
        // what is wanted may have changed while the write was on its way
        this.apply();
      },
      (err: Error) => {
        this.writing = false;
        this.driven = undefined;
        this.opts.onError(err, want);
        // not at once: a dead PLC fails fast, and the retry is the timer's
        this.later(this.retryMs);
      },
    );
  }

  /** The output is on: the waiting pulses are served and keep it on for pulseMs from now. */
  private served(now: number): void {
    if (this.waiting.length === 0) return;
    for (const p of this.waiting) p.done(true);
    this.waiting = [];
    this.pulseUntil = Math.max(this.pulseUntil, now + this.opts.pulseMs);
    this.later(this.pulseUntil - now);
  }

  private later(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.apply(), Math.max(0, ms));
  }

  /** Ends the pulses and the hold, drives the output off (best effort) and closes it. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const p of this.waiting.splice(0)) p.done(false);
    await this.output.drive(false).catch((err: Error) => this.opts.onError(err, false));
    await this.output.close();
  }
}
