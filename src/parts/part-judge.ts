/**
 * Every part that opens ends in exactly one decision. The judge follows each part from its opening (a part signal,
 * or the detector) through the frames its former gave it to their verdicts, and decides it by its camera's rule
 * (rule.ts) once it is closed and every one of its frames has its verdict. Never silence:
 *
 * - a part closed missing frames (its frame timeout, or the camera's word that the frame will not come) is decided
 *   on what it got: a defect found rejects it, else the fail-safe decides (`no-frame`);
 * - a part whose frames' verdicts do not all come within `verdictWaitMs` of its closing is decided without them
 *   (`deadline`, fail-safe). The pipeline gives every frame a verdict by its own deadline, so this is the last net;
 * - at a stop, every part still open is decided the same way (flush).
 *
 * Pure: the time is passed in; decisions are returned, in the order they are made.
 */
import { partDecisionId } from '../part-id.js';
import type { FailSafe, PartSource, PartVerdict, Verdict } from '../types.js';
import type { PartEvent } from './former.js';
import { judgePart, type PartRule } from './rule.js';

/** What the judge needs of each camera that forms parts. */
export interface JudgedCamera {
  readonly line: string;
  readonly rule: PartRule;
}

export interface JudgeOptions {
  readonly cameras: ReadonlyMap<string, JudgedCamera>;
  readonly failSafe: FailSafe;
  /** How long a closed part waits for its frames' verdicts. */
  readonly verdictWaitMs: number;
  /** The product the camera inspects now: a part without frames takes it. */
  readonly productOf: (camera: string) => string;
  /** The live model's id: a part without frames names it. */
  readonly modelId: () => string;
}

interface Part {
  readonly camera: string;
  readonly partId: string;
  readonly at: number;
  readonly source: PartSource;
  /** Its frames' sequence numbers, in capture order. */
  readonly seqs: number[];
  readonly verdicts: Map<number, Verdict>;
  /** When it took its last frame; undefined while it may take more. */
  closedAt?: number;
  missing: boolean;
}

/** Part id within a camera: a PLC's ids are its own per camera. */
const key = (camera: string, partId: string) => `${camera}\u0000${partId}`;

export class PartJudge {
  private readonly parts = new Map<string, Part>();

  constructor(private readonly opts: JudgeOptions) {}

  /** Parts opened and not yet decided. */
  get pending(): number {
    return this.parts.size;
  }

  /** A former's event; returns the decisions it completes. */
  event(e: PartEvent, now: number): PartVerdict[] {
    switch (e.type) {
      case 'open':
        if (!this.parts.has(key(e.camera, e.partId))) this.parts.set(key(e.camera, e.partId), { camera: e.camera, partId: e.partId, at: e.at, source: e.source, seqs: [], verdicts: new Map(), missing: false });
        return [];
      case 'frame':
        this.parts.get(key(e.camera, e.partId))?.seqs.push(e.seq);
        return [];
      case 'close': {
        const part = this.parts.get(key(e.camera, e.partId));
        if (part === undefined) return [];
        part.closedAt = now;
        part.missing = e.missing;
        return this.decideIfComplete(part, now);
      }
      case 'duplicate':
      case 'unclaimed':
        return [];
    }
  }

  /** A frame verdict; returns the decision of its part when it was the last one owed. */
  verdict(v: Verdict, now: number): PartVerdict[] {
    if (v.partId === undefined) return [];
    const part = this.parts.get(key(v.camera, v.partId));
    if (part === undefined || !part.seqs.includes(v.seq)) return [];
    part.verdicts.set(v.seq, v);
    return this.decideIfComplete(part, now);
  }

  /** Closed parts that waited `verdictWaitMs` for verdicts are decided without them. */
  tick(now: number): PartVerdict[] {
    const due = [...this.parts.values()].filter((p) => p.closedAt !== undefined && p.closedAt + this.opts.verdictWaitMs <= now);
    return due.map((p) => this.decide(p, now));
  }

  /** Every part not yet decided, decided now (the service stops): what it lacks, the fail-safe decides. */
  flush(now: number): PartVerdict[] {
    for (const p of this.parts.values()) {
      if (p.closedAt === undefined) p.missing = true;
    }
    return [...this.parts.values()].map((p) => this.decide(p, now));
  }

  nextWakeAt(): number | undefined {
    let next: number | undefined;
    for (const p of this.parts.values()) {
      if (p.closedAt !== undefined) next = Math.min(next ?? Infinity, p.closedAt + this.opts.verdictWaitMs);
    }
    return next;
  }

  private decideIfComplete(part: Part, now: number): PartVerdict[] {
    return part.closedAt !== undefined && part.verdicts.size === part.seqs.length ? [this.decide(part, now)] : [];
  }

  private decide(part: Part, now: number): PartVerdict {
    this.parts.delete(key(part.camera, part.partId));
    const camera = this.opts.cameras.get(part.camera)!;
    const verdicts = part.seqs.flatMap((seq) => part.verdicts.get(seq) ?? []);
    const absent = verdicts.length < part.seqs.length ? 'deadline' : part.missing ? 'no-frame' : undefined;
    const judged = judgePart(verdicts, absent, camera.rule, this.opts.failSafe);
    const first = verdicts[0];
    return {
      id: partDecisionId(part.camera, part.partId),
      partId: part.partId,
      camera: part.camera,
      line: camera.line,
      product: first?.product ?? this.opts.productOf(part.camera),
      verdictIds: verdicts.map((v) => v.id),
      ...judged,
      signalAt: part.at,
      decidedAt: now,
      model: first?.model ?? this.opts.modelId(),
      source: part.source,
    };
  }
}
