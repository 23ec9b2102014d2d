/**
 * Watches the model's output for values that are not finite numbers (finite.ts), per camera: logs where a run of
 * them starts and ends (with camera and model), counts them, and names the node `degraded` while any camera has had
 * `degradedAfter` of them in a row — a model that keeps producing NaN rejects every part, and the line must hear why.
 * The verdicts themselves are inspect's (`error`, fail-safe); this only reports.
 */
import { uniadError, type UniadError } from '../errors.js';
import type { FailSafe, Frame, Logger } from '../types.js';

export interface NonFiniteWatchOptions {
  readonly modelId: () => string;
  readonly failSafe: FailSafe;
  readonly logger: Logger;
  /** Non-finite outputs in a row on one camera before the node is degraded. Default 3. */
  readonly degradedAfter?: number;
  /** The `NON_FINITE_OUTPUT` cause while it holds, undefined once it no longer does; called on every change. */
  readonly onCause: (cause: UniadError | undefined) => void;
}

export class NonFiniteWatch {
  /** Non-finite outputs in a row, per camera, and what the last one was. */
  private readonly runs = new Map<string, { count: number; what: string }>();
  private readonly totals: Record<string, number> = {};
  private cause: string | undefined;

  constructor(private readonly opts: NonFiniteWatchOptions) {}

  /** Non-finite outputs per camera since the start. */
  counts(): Readonly<Record<string, number>> {
    return { ...this.totals };
  }

  /** Every frame the model scored, with what was not finite in its output (inspect's `onScored`). */
  observe(frame: Frame, nonFinite: string | undefined): void {
    const { logger, modelId, failSafe } = this.opts;
    const run = this.runs.get(frame.camera);
    if (nonFinite === undefined) {
      if (run === undefined) return;
      this.runs.delete(frame.camera);
      logger.info('model output is finite again', { camera: frame.camera, model: modelId(), nonFiniteInARow: run.count });
    } else {
      this.totals[frame.camera] = (this.totals[frame.camera] ?? 0) + 1;
      if (run === undefined) {
        logger.error('model output is not a finite number: fail-safe verdict', { camera: frame.camera, model: modelId(), output: nonFinite, decision: failSafe, seq: frame.seq });
      }
      this.runs.set(frame.camera, { count: (run?.count ?? 0) + 1, what: nonFinite });
    }
    this.update();
  }

  private update(): void {
    const after = this.opts.degradedAfter ?? 3;
    const persisting = [...this.runs].filter(([, r]) => r.count >= after).sort(([a], [b]) => a.localeCompare(b));
    const cause =
      persisting.length === 0
        ? undefined
        : uniadError('NON_FINITE_OUTPUT', this.opts.modelId(), persisting.map(([camera]) => camera).join(', '), persisting[0]![1].what, this.opts.failSafe === 'reject' ? 'rejected' : 'passed');
    // the message holds the last output seen; only a change of cameras is news worth a status message
    const key = persisting.map(([camera]) => camera).join(',') || undefined;
    if (key === this.cause) return;
    this.cause = key;
    if (cause) this.opts.logger.warn('degraded', { code: cause.code, message: cause.message });
    this.opts.onCause(cause);
  }
}
