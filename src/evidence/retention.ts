/** Which evidence to delete to keep the archive inside its age and size limits. Pure. */

export interface EvidenceEntry {
  /** Folder of the entry. */
  readonly dir: string;
  readonly bytes: number;
  /** Epoch ms it was written. */
  readonly at: number;
}

export interface RetentionLimits {
  readonly maxBytes: number;
  readonly maxAgeMs: number;
}

/**
 * How many of the oldest entries to delete: those past the age limit, then the oldest of the rest until the total fits
 * the size limit. `oldestFirst` is sorted by `at` and `total` is their bytes, both kept by the archive as it writes,
 * so a write to an archive of 100 000 entries reads the few entries it deletes, not all of them. Pure.
 */
export function oldestToDelete(oldestFirst: readonly EvidenceEntry[], total: number, limits: RetentionLimits, now: number): number {
  let n = 0;
  for (const e of oldestFirst) {
    if (now - e.at <= limits.maxAgeMs && total <= limits.maxBytes) break;
    total -= e.bytes;
    n++;
  }
  return n;
}
