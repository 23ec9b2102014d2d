/**
 * What a promotion and a rollback do to the registry document: the active version, the versions before it, the
 * history. Pure: the caller holds the promotion lock (lock.ts) and writes the result (store.ts).
 */
import { uniadError } from '../errors.js';
import { entryOf, type HistoryEvent, type RegistryDoc } from './store.js';

/** How the registry and the logs name an active version: null is the config's own model. */
export const versionName = (version: string | null) => version ?? 'the config\'s model.path';

const event = (e: HistoryEvent): HistoryEvent => e;

/** `version` becomes active; the one before is kept for a rollback. */
export function promoted(doc: RegistryDoc, version: string, by: string, at: Date): RegistryDoc {
  entryOf(doc, version);
  if (doc.active === version) throw uniadError('REGISTRY_VERSION', version, 'is already the active model (uniad-edge models list)');
  return {
    ...doc,
    active: version,
    previous: [...doc.previous, doc.active],
    history: [...doc.history, event({ at: at.toISOString(), action: 'promote', version, from: doc.active, by })],
  };
}

/** The version active before the active one becomes active again; `cause` says why (an automatic rollback's guard). */
export function rolledBack(doc: RegistryDoc, by: string, at: Date, cause?: string): RegistryDoc {
  if (doc.previous.length === 0) throw uniadError('ROLLBACK_NONE', versionName(doc.active));
  const back = doc.previous.at(-1)!;
  return {
    ...doc,
    active: back,
    previous: doc.previous.slice(0, -1),
    history: [...doc.history, event({ at: at.toISOString(), action: 'rollback', version: back, from: doc.active, by, ...(cause === undefined ? {} : { cause }) })],
  };
}

/** A promotion the service did not apply: the document as it was, with the refusal in its history. */
export function refused(before: RegistryDoc, version: string | null, by: string, at: Date, cause: string): RegistryDoc {
  return { ...before, history: [...before.history, event({ at: at.toISOString(), action: 'refused', version, from: before.active, by, cause })] };
}

/** The active version ran its probation window without tripping a guard. */
export function passedProbation(doc: RegistryDoc, version: string, at: Date, summary: string): RegistryDoc {
  return { ...doc, history: [...doc.history, event({ at: at.toISOString(), action: 'probation passed', version, by: 'uniad-edge (probation)', cause: summary })] };
}
