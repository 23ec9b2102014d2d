import { UniadError } from './errors.js';

/**
 * What a command prints and returns when it fails: our own errors as their message (exit 2 for a usage mistake,
 * 1 otherwise), anything else with its stack, since that is a bug to report.
 */
export function commandFailure(err: unknown): number {
  if (err instanceof UniadError) {
    process.stderr.write(`uniad-edge: ${err.message}\n`);
    return err.code === 'USAGE' ? 2 : 1;
  }
  process.stderr.write(`uniad-edge: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
  return 1;
}
