/** Options several commands take, and the checks that turn their text into values (each a USAGE error naming it). */
import { loadConfig } from '../config.js';
import { uniadError } from '../errors.js';
import { createLogger } from '../log.js';
import { resolveStateDir } from '../state-dir.js';
import { logLevels, type Logger, type LogLevel } from '../types.js';

/** `--log-level`, over `fallback`: the config's `log.level`, or the level a command without a config starts at. */
export const logLevelOption = (fallback: string) => ({ type: 'string', value: 'LEVEL', description: `${logLevels.join(', ')} (default: ${fallback})` }) as const;

/** run and check: the service's config. */
export const configOption = { type: 'string', value: 'FILE', short: 'c', required: true, description: 'configuration file (YAML)' } as const;

export const threadsOption = { type: 'string', value: 'N', description: "onnxruntime threads (default: onnxruntime's choice)" } as const;

/** evidence and shadow-report: where the state folder is, from a config or named. */
export const stateFolderOptions = {
  config: { type: 'string', value: 'FILE', short: 'c', description: "the service's config: its stateDir" },
  'state-dir': { type: 'string', value: 'DIR', description: 'the state folder (default: $STATE_DIRECTORY, /var/lib/uniad-edge as root, else ~/.local/state/uniad-edge)' },
} as const;

/** The state folder `--config FILE` or `--state-dir DIR` names, else the default one; both at once is refused. */
export function stateFolder(values: { readonly config: string | undefined; readonly 'state-dir': string | undefined }): string {
  if (values.config !== undefined && values['state-dir'] !== undefined) throw uniadError('USAGE', 'give --config FILE or --state-dir DIR, not both');
  return values.config !== undefined ? loadConfig(values.config).stateDir : resolveStateDir(values['state-dir']);
}

const isLogLevel = (value: string): value is LogLevel => (logLevels as readonly string[]).includes(value);

/** The logger at `--log-level` when given (checked), else at `fallback`. */
export function loggerAt(option: string | undefined, fallback: LogLevel): Logger {
  const level = option ?? fallback;
  if (!isLogLevel(level)) throw uniadError('USAGE', `--log-level must be one of ${logLevels.join(', ')}, got "${level}"`);
  return createLogger(level);
}

export function portValue(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw uniadError('USAGE', `${option} must be a port number 0–65535, got "${value}"`);
  return port;
}

/** `--threads`: a whole number >= 0 (0: onnxruntime's choice). */
export function threadsValue(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const threads = Number(value);
  if (!Number.isInteger(threads) || threads < 0) throw uniadError('USAGE', `--threads must be a whole number >= 0, got "${value}"`);
  return threads;
}

/** A number of seconds from `min` to `max` for `option` (fleet --stale-after, consume --ack-wait); undefined when absent. */
export function secondsValue(option: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < min || seconds > max) throw uniadError('USAGE', `${option} must be ${min} to ${max} seconds, got "${value}"`);
  return seconds;
}

/** `--<option>` as a number that `ok` accepts (`what` says which, in the error); `fallback` when absent (collect, train). */
export function numberValue(option: string, value: string | undefined, fallback: number, ok: (n: number) => boolean, what: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !ok(n)) throw uniadError('USAGE', `--${option} must be ${what}, got "${value}"`);
  return n;
}

/** For numberValue: a whole number >= `min`. */
export const whole = (min: number) => (n: number) => Number.isInteger(n) && n >= min;
