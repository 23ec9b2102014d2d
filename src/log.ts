import { fstatSync } from 'node:fs';
import { logLevels, type Logger, type LogLevel } from './types.js';

/** syslog(3) priorities journald stores for each level: `journalctl -p err` shows errors, `-p warning` adds warnings. */
export const journalPriority: Readonly<Record<LogLevel, number>> = { debug: 7, info: 6, warn: 4, error: 3 };

/** A Logger whose every level hands its line to `emit`. */
export function loggerFrom(emit: (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void): Logger {
  return Object.fromEntries(logLevels.map((level) => [level, (msg: string, fields?: Record<string, unknown>) => emit(level, msg, fields)])) as unknown as Logger;
}

/** Keys whose values never reach a log line. */
const secret = /pass(word)?|secret|token|key$/i;

/** Nesting a log line shows; deeper values are cut (a log line is read by people, and must never overflow the stack). */
const maxDepth = 16;

/**
 * `value` with every secret-named key's value masked, at any depth, in objects and arrays alike (a stats object, an
 * error's options). Other values (Error, Date, Buffer) are left to JSON.stringify; a cycle or a nesting past
 * `maxDepth` is cut with a marker.
 */
function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  const plain = Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null;
  if (!plain) return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= maxDepth) return '[too deep]';
  seen.add(value);
  const out = Array.isArray(value) ? value.map((v) => redact(v, depth + 1, seen)) : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, secret.test(k) ? '***' : redact(v, depth + 1, seen)]));
  seen.delete(value);
  return out;
}

/** The longest text a log line carries of one value: a 1 MB payload must not become a 1 MB line. */
export const maxLoggedChars = 2000;

/** `text` as a log line carries it: its first `max` characters and how many were left out. */
export function excerpt(text: string, max = maxLoggedChars): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/**
 * A JSON.stringify replacer that bounds every value of a log line, however deep: strings are cut (excerpt), a
 * Buffer (which arrives here as `{type: 'Buffer', data: [...]}`) becomes its size.
 */
function bounded(_key: string, value: unknown): unknown {
  if (typeof value === 'string') return excerpt(value);
  if (value !== null && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return `<${(value as { data: unknown[] }).data.length} bytes>`;
  }
  return value;
}

/**
 * True when file descriptor `fd` is the journal stream systemd connected (`$JOURNAL_STREAM` = "device:inode" of it,
 * systemd.exec(5)). Compared with the descriptor itself: a child whose stderr was redirected inherits the variable
 * but not the stream.
 */
export function writesToJournal(fd = 2, env: NodeJS.ProcessEnv = process.env): boolean {
  const stream = env.JOURNAL_STREAM;
  if (stream === undefined) return false;
  try {
    const st = fstatSync(fd);
    return stream === `${st.dev}:${st.ino}`;
  } catch {
    return false;
  }
}

/**
 * One JSON object a line on stderr (stdout is for verdict lines on a terminal), every value in it bounded (`bounded`).
 * Under journald each line starts with its `<priority>` (sd-daemon(3) prefix, which journald strips and stores as
 * PRIORITY); elsewhere lines are plain JSON.
 */
export function createLogger(
  level: LogLevel = 'info',
  scope = 'uniad-edge',
  write: (line: string) => void = (l) => process.stderr.write(l + '\n'),
  journal = writesToJournal(),
): Logger {
  const least = logLevels.indexOf(level);
  return loggerFrom((lvl, msg, fields = {}) => {
    if (logLevels.indexOf(lvl) < least) return;
    const json = JSON.stringify({ t: new Date().toISOString(), level: lvl, scope, msg, ...(redact(fields) as Record<string, unknown>) }, bounded);
    write(journal ? `<${journalPriority[lvl]}>${json}` : json);
  });
}

/** For tests and library use where nothing should be printed. */
export const silentLogger: Logger = loggerFrom(() => {});
