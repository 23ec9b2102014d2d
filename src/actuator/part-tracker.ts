/**
 * The parts of one station between its camera and its ejector, and the decision each gets at its ejection moment.
 *
 * - A part is tracked from its part signal (PLC counter, trigger) or, for parts the actuator never saw a signal for
 *   (a free-running camera's detector parts, or a signal missed across a restart), from its decision when that names
 *   `signalAt` and the ejection moment is still ahead.
 * - Its ejection moment comes from the conveyor model (conveyor.ts), less the output's lead time: when the part is
 *   at the ejector minus `leadMs`, it is ejected with its decision, or fail-safe (`failSafe`, reject by default)
 *   when none came.
 * - Decisions are matched by id (src/part-id.ts). Every id that was settled (ejected, or refused as late) is
 *   remembered (the newest `remember` of them): a decision that comes after its part was ejected fail-safe is
 *   `late` and never applied; a second copy of any decision (MQTT's at-least-once delivery, a session resent after a
 *   restart) is a `duplicate` and ignored.
 * - A signal for a settled id is a new part with a reused id (a uint16 counter wraps every 65536 parts): it is
 *   tracked afresh.
 *
 * No I/O: the caller hands in signals, decisions and (for an encoder) readings, and acts on `onEject`.
 */
import type { PartSignal } from '../plc/part-signal.js';
import type { Conveyor } from './conveyor.js';
import type { PartDecision } from './decision.js';

export type FailSafe = 'reject' | 'pass';

/** What the output does at a part's ejection moment, and why: the record a plant audits. */
export interface Ejection {
  readonly id: string;
  readonly partId: string;
  readonly camera: string;
  readonly line: string;
  readonly reject: boolean;
  /** `decided`: the service's decision came in time; `fail-safe`: none came. */
  readonly reason: 'decided' | 'fail-safe';
  /** The service's own reason (anomaly, ok, no-frame, …) when decided. */
  readonly decision?: string;
  /** How the actuator learned of the part: a part signal, or only its decision. */
  readonly source: 'signal' | 'decision';
  /** When the output was due (epoch ms). */
  readonly deadlineAt: number;
  readonly firedAt: number;
  /** The deadline minus when the decision reached the actuator; absent when none came. */
  readonly slackMs?: number;
}

/** What became of a decision: applied to a tracked part, scheduled for a part known only by it, late, or a duplicate. */
export interface DecisionOutcome {
  readonly fate: 'applied' | 'scheduled' | 'late' | 'duplicate';
  /** The part's deadline minus now (negative: late); absent where the part cannot be timed. */
  readonly slackMs?: number;
  /** Why it is late, for the log. */
  readonly why?: string;
}

export interface TrackerOptions {
  readonly camera: string;
  readonly line: string;
  readonly conveyor: Conveyor;
  /** How long before the part is at the ejector the output must be commanded (valve, relay, network). */
  readonly leadMs: number;
  readonly failSafe: FailSafe;
  readonly onEject: (e: Ejection) => void;
  readonly now?: () => number;
  /** How many settled ids are remembered for dedup. */
  readonly remember?: number;
}

interface Tracked {
  readonly id: string;
  readonly partId: string;
  /** Where the part is at the ejector, in the conveyor's unit. */
  position: number;
  source: 'signal' | 'decision';
  decision?: PartDecision;
  slackMs?: number;
}

interface Settled {
  /** Ejected with a decision (any later copy is a duplicate). */
  readonly decided: boolean;
  /** When its output was due, for a late decision's slack. */
  readonly deadlineAt?: number;
  /** A late decision was already counted for it. */
  late: boolean;
}

export class PartTracker {
  private readonly pending = new Map<string, Tracked>();
  private readonly settled = new Map<string, Settled>();
  private readonly now: () => number;
  private readonly remember: number;
  private timer: NodeJS.Timeout | undefined;
  private drainWaiters: (() => void)[] = [];

  constructor(private readonly opts: TrackerOptions) {
    this.now = opts.now ?? Date.now;
    this.remember = opts.remember ?? 10_000;
  }

  /** When (epoch ms) the output is due for a part at `position`, as the conveyor tells it at `now`. */
  private deadline(position: number, now: number): number {
    return now + this.opts.conveyor.msUntil(position, now) - this.opts.leadMs;
  }

  /** A part at the camera; false when the conveyor cannot place it (an encoder not read yet): the caller counts it missed. */
  signal(s: PartSignal, id: string): boolean {
    const position = this.opts.conveyor.ejectorPosition(s.at);
    if (position === undefined) return false;
    const known = this.pending.get(id);
    if (known?.source === 'decision') {
      // its decision came first: the signal places the part more exactly
      known.position = position;
      known.source = 'signal';
    } else {
      this.settled.delete(id);
      this.pending.set(id, { id, partId: s.partId, position, source: 'signal' });
    }
    this.tick();
    return true;
  }

  decide(d: PartDecision, receivedAt: number = this.now()): DecisionOutcome {
    const part = this.pending.get(d.id);
    if (part) {
      if (part.decision) return { fate: 'duplicate' };
      part.decision = d;
      part.slackMs = this.deadline(part.position, receivedAt) - receivedAt;
      return { fate: 'applied', slackMs: part.slackMs };
    }
    const done = this.settled.get(d.id);
    if (done) {
      if (done.decided || done.late) return { fate: 'duplicate' };
      done.late = true;
      return { fate: 'late', slackMs: done.deadlineAt === undefined ? undefined : done.deadlineAt - receivedAt, why: 'its part was ejected fail-safe before it came' };
    }
    const position = d.signalAt === undefined ? undefined : this.opts.conveyor.ejectorPosition(d.signalAt);
    if (position === undefined) {
      this.settle(d.id, { decided: false, late: true });
      return { fate: 'late', why: d.signalAt === undefined ? 'no part signal was seen for it and it names no signalAt' : 'its signalAt lies before what the conveyor model can place' };
    }
    const slackMs = this.deadline(position, receivedAt) - receivedAt;
    if (slackMs <= 0) {
      this.settle(d.id, { decided: false, late: true });
      return { fate: 'late', slackMs, why: 'no part signal was seen for it and its ejection moment had passed' };
    }
    this.pending.set(d.id, { id: d.id, partId: d.partId, position, source: 'decision', decision: d, slackMs });
    this.tick();
    return { fate: 'scheduled', slackMs };
  }

  /** Ids settled before a restart (the journal's): their decisions, should the session bring them again, are not applied twice. */
  restore(settled: readonly { readonly id: string; readonly decided: boolean }[]): void {
    for (const s of settled) this.settle(s.id, { decided: s.decided, late: false });
  }

  /** Parts waiting for their ejection moment. */
  get size(): number {
    return this.pending.size;
  }

  /** Ejects every part whose moment has come, and waits for the next one. Encoder readings call it too. */
  tick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.now();
    const { conveyor, leadMs } = this.opts;
    const due = [...this.pending.values()].filter((p) => conveyor.msUntil(p.position, now) - leadMs <= 0).sort((a, b) => a.position - b.position);
    for (const part of due) this.eject(part, now);
    let next = Infinity;
    for (const p of this.pending.values()) next = Math.min(next, conveyor.msUntil(p.position, now) - leadMs);
    if (Number.isFinite(next)) this.timer = setTimeout(() => this.tick(), Math.max(0, next));
    if (this.pending.size === 0) for (const w of this.drainWaiters.splice(0)) w();
  }

  /** Resolves once no part is waiting (at once when none is). */
  drained(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  close(): void {
    clearTimeout(this.timer);
    for (const w of this.drainWaiters.splice(0)) w();
  }

  private eject(part: Tracked, now: number): void {
    this.pending.delete(part.id);
    const { camera, line, failSafe, conveyor, leadMs } = this.opts;
    const d = part.decision;
    const deadlineAt = now + conveyor.msUntil(part.position, now) - leadMs;
    this.settle(part.id, { decided: d !== undefined, deadlineAt, late: false });
    this.opts.onEject({
      id: part.id,
      partId: part.partId,
      camera,
      line,
      reject: d ? d.reject : failSafe === 'reject',
      reason: d ? 'decided' : 'fail-safe',
      decision: d?.reason,
      source: part.source,
      deadlineAt,
      firedAt: now,
      slackMs: part.slackMs,
    });
  }

  private settle(id: string, s: Settled): void {
    this.settled.delete(id);
    this.settled.set(id, s);
    if (this.settled.size > this.remember) this.settled.delete(this.settled.keys().next().value!);
  }
}
