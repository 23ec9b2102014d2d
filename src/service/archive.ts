import { EvidenceArchive } from '../evidence/archive.js';
import { uniadError, type UniadError } from '../errors.js';
import { statePaths } from '../state-dir.js';
import type { ServiceBase } from './base.js';
import type { Http } from './http.js';
import type { Part } from './lifecycle.js';

/**
 * The evidence archive in the state folder, unless `archive.enabled` is false. An archive whose folder cannot be read
 * does not stop the line: the run archives nothing, logged, and says so on the status (ARCHIVE_DIR). Rejects that
 * are not archived are counted by reason in the metrics and are a cause of `degraded` (EVIDENCE_DROPPED) until
 * entries are archived again. Stopping writes what it was given.
 */
export const archive: Part<Pick<ServiceBase, 'cfg' | 'logger' | 'causes'> & { readonly http: Http }, 'archive', EvidenceArchive | undefined> = {
  name: 'archive',
  start({ cfg, logger, causes, http: { obs } }) {
    if (!cfg.archive.enabled) return undefined;
    const { maxMegabytes, maxAgeDays, goodSampleEvery, maxSide } = cfg.archive;
    const dir = statePaths(cfg.stateDir).archive;
    try {
      return new EvidenceArchive({
        dir,
        maxBytes: maxMegabytes * 1024 * 1024,
        maxAgeMs: maxAgeDays * 86_400_000,
        goodSampleEvery,
        maxSide,
        logger,
        onDropped: (reason) => obs.evidenceDropped(reason),
        onProblem: (problem) =>
          problem === undefined
            ? causes.clear('EVIDENCE_DROPPED')
            : causes.set(uniadError('EVIDENCE_DROPPED', dir, new Date(problem.since).toISOString(), problem.reason, problem.error)),
      });
    } catch (err) {
      if ((err as UniadError).code !== 'ARCHIVE_DIR') throw err;
      logger.error('evidence archive off: its folder cannot be read', { dir, error: (err as Error).message });
      causes.set(err as UniadError);
      return undefined;
    }
  },
  stop: (evidence) => evidence?.close(),
};
