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

/** Entries older than the age limit, then the oldest of the rest until the total fits the size limit. */
export function toDelete(entries: readonly EvidenceEntry[], limits: RetentionLimits, now: number): EvidenceEntry[] {
  const byAge = [...entries].sort((a, b) => a.at - b.at);
  const out: EvidenceEntry[] = [];
  let total = byAge.reduce((sum, e) => sum + e.bytes, 0);
  for (const e of byAge) {
    if (now - e.at <= limits.maxAgeMs && total <= limits.maxBytes) break;
    out.push(e);
    total -= e.bytes;
  }
  return out;
}
