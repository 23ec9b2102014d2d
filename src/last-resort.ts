/**
 * What ends the service when the normal paths did not: both log, then exit non-zero so that systemd (Restart=)
 * starts a fresh process. Neither replaces handling errors where they arise; they catch what slipped through.
 */
import type { Logger } from './types.js';

let installed = false;

/** An exception or rejection nobody handled is a bug: the state is unknown, so log it with its stack and exit 1. */
export function exitOnUnhandled(logger: Logger, exit: (code: number) => void = (code) => process.exit(code)): void {
  if (installed) return;
  installed = true;
  const die = (what: string) => (err: unknown) => {
    logger.error(`${what}: exiting so that the service is restarted clean`, { error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    exit(1);
  };
  process.on('uncaughtException', die('uncaught exception'));
  process.on('unhandledRejection', die('unhandled rejection'));
}

/**
 * Bounds a shutdown: if the process is still there `ms` after the stop began (a worker stuck in a run that cannot be
 * terminated safely, a handle that was never closed), log what is known and exit 1. The timer does not itself keep
 * the process alive.
 */
export function exitIfStuck(logger: Logger, ms: number, exit: (code: number) => void = (code) => process.exit(code)): void {
  setTimeout(() => {
    logger.error('shutdown did not finish in time; exiting now', { ms });
    exit(1);
  }, ms).unref();
}
