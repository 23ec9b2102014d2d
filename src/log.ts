import type { Logger } from './types.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Keys whose values never reach a log line. */
const secret = /pass(word)?|secret|token|key$/i;

function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = secret.test(k) ? '***' : v;
  return out;
}

/** One JSON object a line on stderr (journald keeps stdout for verdict printing in the demo). */
export function createLogger(level: Level = 'info', scope = 'uniad-edge', write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const emit = (lvl: Level) => (msg: string, fields: Record<string, unknown> = {}) => {
    if (order[lvl] < order[level]) return;
    write(JSON.stringify({ t: new Date().toISOString(), level: lvl, scope, msg, ...redact(fields) }));
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** For tests and library use where nothing should be printed. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
