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

function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = secret.test(k) ? '***' : v;
  return out;
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
 * One JSON object a line on stderr (stdout is for verdict lines on a terminal). Under journald each line starts with
 * its `<priority>` (sd-daemon(3) prefix, which journald strips and stores as PRIORITY); elsewhere lines are plain JSON.
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
    const json = JSON.stringify({ t: new Date().toISOString(), level: lvl, scope, msg, ...redact(fields) });
    write(journal ? `<${journalPriority[lvl]}>${json}` : json);
  });
}

/** For tests and library use where nothing should be printed. */
export const silentLogger: Logger = loggerFrom(() => {});
