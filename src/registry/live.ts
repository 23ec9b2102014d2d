/**
 * What the running service says it runs, `models/live.json`, written by it after its start and after every reload,
 * promotion and rollback: the `models` command reads it to learn whether a promotion it asked for was applied.
 */
import { readFileSync } from 'node:fs';
import { registryFiles, writeAtomically } from './store.js';

export interface LiveReport {
  /** The registry version live; null: the config's own `model.path`. */
  readonly version: string | null;
  /** `<name>@<version>` of the model live. */
  readonly model: string;
  /** ms since the epoch. */
  readonly at: number;
  /** The last promotion or rollback the service did not apply, and why. */
  readonly refused?: { readonly version: string | null; readonly why: string; readonly at: number };
  /** The last automatic rollback: from which version, to which, why. */
  readonly rolledBack?: { readonly from: string | null; readonly to: string | null; readonly cause: string; readonly at: number };
  /** The promoted version's probation: running until `until`, passed or tripped. */
  readonly probation?: { readonly version: string; readonly until: number; readonly state: 'running' | 'passed' | 'tripped' };
}

export function readLive(dir: string): LiveReport | undefined {
  try {
    return JSON.parse(readFileSync(registryFiles(dir).live, 'utf8')) as LiveReport;
  } catch {
    return undefined;
  }
}

export const writeLive = (dir: string, report: LiveReport) => writeAtomically(registryFiles(dir).live, `${JSON.stringify(report, null, 2)}\n`);
