import type { Config } from '../config.js';
import { EvidenceArchive } from '../sinks/evidence/archive.js';
import { statePaths } from '../state-dir.js';
import type { Logger } from '../types.js';

/** The evidence archive in the state folder, unless `archive.enabled` is false. */
export function openArchive(cfg: Config, logger: Logger): EvidenceArchive | undefined {
  if (!cfg.archive.enabled) return undefined;
  const { maxMegabytes, maxAgeDays, goodSampleEvery } = cfg.archive;
  return new EvidenceArchive({ dir: statePaths(cfg.stateDir).archive, maxBytes: maxMegabytes * 1024 * 1024, maxAgeMs: maxAgeDays * 86_400_000, goodSampleEvery, logger });
}
