/**
 * Evidence that could not be archived, told as people and the status topic can take it: a full disk drops every
 * reject, and one log line each (833 of them in one run) hides the message in the noise while the status said
 * nothing. A stretch of drops is one episode: its first drop is told whole, then a summary a minute while it lasts,
 * and it ends once an entry was archived and no drop came for `quietMs` (so a status does not flap under overload).
 * Pure: the caller passes monotonic times.
 */

/** Why an entry was not archived: the writer was too far behind (`busy`), or what the disk said. */
export type DropReason = 'busy' | 'no-space' | 'read-only' | 'permission' | 'name-too-long' | 'no-folder' | 'io' | 'error';

export const dropReasons: readonly DropReason[] = ['busy', 'no-space', 'read-only', 'permission', 'name-too-long', 'no-folder', 'io', 'error'];

/** The reason of a failed write, from its error code. */
export function dropReason(code: string | undefined): DropReason {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return 'no-space';
    case 'EROFS':
      return 'read-only';
    case 'EACCES':
    case 'EPERM':
      return 'permission';
    case 'ENAMETOOLONG':
      return 'name-too-long';
    case 'ENOENT':
    case 'ENOTDIR':
    case 'EEXIST':
      return 'no-folder';
    case 'EIO':
      return 'io';
    default:
      return 'error';
  }
}

export interface DropSummary {
  /** Drops since the last summary (or the first drop), by reason. */
  readonly dropped: number;
  readonly byReason: Partial<Record<DropReason, number>>;
}

export interface DueNow {
  /** Drops to sum up in a line now. */
  readonly summary?: DropSummary;
  /** The episode is over: entries are archived again; `dropped` in all. */
  readonly ended?: { readonly dropped: number };
}

interface Episode {
  dropped: number;
  lastDropAt: number;
  lastSummaryAt: number;
  /** Drops after the first not yet summed up. */
  pending: Partial<Record<DropReason, number>>;
  archivedSinceDrop: boolean;
  reason: DropReason;
}

export class DropTally {
  private episode: Episode | undefined;

  constructor(
    private readonly quietMs = 10_000,
    private readonly summaryMs = 60_000,
  ) {}

  /** A drop at `at`: `first` when it starts an episode, `changed` when its reason differs from the drop before. */
  drop(reason: DropReason, at: number): { readonly first: boolean; readonly changed: boolean } {
    const e = this.episode;
    if (e === undefined) {
      this.episode = { dropped: 1, lastDropAt: at, lastSummaryAt: at, pending: {}, archivedSinceDrop: false, reason };
      return { first: true, changed: true };
    }
    e.dropped++;
    e.lastDropAt = at;
    e.archivedSinceDrop = false;
    e.pending[reason] = (e.pending[reason] ?? 0) + 1;
    const changed = e.reason !== reason;
    e.reason = reason;
    return { first: false, changed };
  }

  archived(): void {
    if (this.episode) this.episode.archivedSinceDrop = true;
  }

  /** Whether an episode is going on. */
  get dropping(): boolean {
    return this.episode !== undefined;
  }

  /** What is due at `at`. */
  due(at: number): DueNow {
    const e = this.episode;
    if (e === undefined) return {};
    const pendingCount = Object.values(e.pending).reduce((a, b) => a + b, 0);
    const ends = e.archivedSinceDrop && at - e.lastDropAt >= this.quietMs;
    const summarize = pendingCount > 0 && (ends || at - e.lastSummaryAt >= this.summaryMs);
    const summary = summarize ? { dropped: pendingCount, byReason: { ...e.pending } } : undefined;
    if (summarize) {
      e.pending = {};
      e.lastSummaryAt = at;
    }
    if (ends) this.episode = undefined;
    return { ...(summary && { summary }), ...(ends && { ended: { dropped: e.dropped } }) };
  }
}
