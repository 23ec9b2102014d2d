/**
 * The sd_notify protocol (sd_notify(3)): datagrams of `KEY=value` lines to the unix socket in `$NOTIFY_SOCKET`.
 *
 * Node's `dgram` has no unix datagram sockets, so this uses the `unix-dgram` addon (bnoordhuis/node-unix-dgram,
 * ~10 M downloads a month, self-contained C++, no libsystemd headers to build against). Not `systemd-notify`: a
 * process spawned per watchdog ping is not the event loop answering, and messages from it are only accepted with
 * `NotifyAccess=all`, which would let every capture child declare the service ready. With the addon the main process
 * sends everything itself and the unit keeps `NotifyAccess=main`.
 */
import { createRequire } from 'node:module';
import type { Logger } from '../types.js';

interface UnixDgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, callback?: (err?: Error) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  close(): void;
}

export interface Notifier {
  /** True when systemd asked for notifications ($NOTIFY_SOCKET set to a socket path). */
  readonly enabled: boolean;
  /** Watchdog timeout systemd set (`WatchdogSec=`), if any, for this process. */
  readonly watchdogMs: number | undefined;
  /** Model loaded and cameras started: systemd turns the unit `active`. */
  ready(status: string): void;
  /** One line for `systemctl status`. */
  status(text: string): void;
  /** Asks for more start (or stop) time than `TimeoutStartSec=`, e.g. while a TensorRT engine builds. */
  extendTimeout(ms: number, status?: string): void;
  stopping(status: string): void;
  /**
   * Sends `WATCHDOG=1` every half watchdog period from the event loop while `alive()` holds; a blocked loop or an
   * unhealthy service stops the pings and systemd restarts the unit. Returns the function that stops the pings.
   */
  startWatchdog(alive?: () => boolean): () => void;
  close(): void;
}

/** The notification lines as sent, for tests and logs. */
export function notifyMessage(fields: Readonly<Record<string, string | number>>): string {
  // A newline inside a value would start a new assignment: STATUS= must stay one line.
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${String(v).replace(/\n/g, ' ')}`)
    .join('\n');
}

/** `WATCHDOG_USEC` when it is meant for this process (`WATCHDOG_PID` absent or ours), in ms. */
export function watchdogPeriodMs(env: NodeJS.ProcessEnv, pid = process.pid): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!(usec > 0)) return undefined;
  if (env.WATCHDOG_PID !== undefined && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return usec / 1000;
}

const disabled = (watchdogMs: number | undefined): Notifier => ({
  enabled: false,
  watchdogMs,
  ready() {},
  status() {},
  extendTimeout() {},
  stopping() {},
  startWatchdog: () => () => {},
  close() {},
});

/**
 * A notifier for the socket systemd named, or one that does nothing when the service was not started by systemd
 * with `Type=notify`. Abstract sockets (`@name`) are not supported by the addon; systemd itself always passes
 * `/run/systemd/notify`.
 */
export function systemdNotifier(logger: Logger, env: NodeJS.ProcessEnv = process.env): Notifier {
  const path = env.NOTIFY_SOCKET;
  const watchdogMs = watchdogPeriodMs(env);
  if (path === undefined || path === '') return disabled(watchdogMs);
  if (!path.startsWith('/')) {
    logger.warn('systemd notify socket is not a path; readiness and watchdog are not reported', { socket: path, fix: 'run under systemd (it passes /run/systemd/notify)' });
    return disabled(watchdogMs);
  }
  const unixDgram = createRequire(import.meta.url)('unix-dgram') as { createSocket(type: 'unix_dgram'): UnixDgramSocket };
  const socket = unixDgram.createSocket('unix_dgram');
  let failed = false;
  const send = (fields: Record<string, string | number>) => {
    const buf = Buffer.from(notifyMessage(fields));
    socket.send(buf, 0, buf.length, path, (err) => {
      // Said once: a missing socket fails every message the same way.
      if (err && !failed) logger.warn('systemd notify failed', { socket: path, error: err.message });
      failed ||= err !== undefined;
    });
  };
  socket.on('error', (err) => logger.warn('systemd notify socket error', { socket: path, error: err.message }));
  const timers = new Set<NodeJS.Timeout>();
  return {
    enabled: true,
    watchdogMs,
    ready: (status) => send({ READY: 1, STATUS: status }),
    status: (text) => send({ STATUS: text }),
    extendTimeout: (ms, status) => send(status === undefined ? { EXTEND_TIMEOUT_USEC: Math.round(ms * 1000) } : { EXTEND_TIMEOUT_USEC: Math.round(ms * 1000), STATUS: status }),
    stopping: (status) => send({ STOPPING: 1, STATUS: status }),
    startWatchdog(alive = () => true) {
      if (watchdogMs === undefined) return () => {};
      const timer = setInterval(() => alive() && send({ WATCHDOG: 1 }), watchdogMs / 2);
      timers.add(timer);
      return () => {
        clearInterval(timer);
        timers.delete(timer);
      };
    },
    close() {
      for (const t of timers) clearInterval(t);
      timers.clear();
      socket.close();
    },
  };
}

/**
 * Runs `work` while asking systemd for `stepMs` more start time every third of it: a TensorRT engine build can
 * outlast `TimeoutStartSec=`, and a start that is still working must not be killed for it.
 */
export async function extendWhile<T>(notifier: Notifier | undefined, status: string, work: Promise<T>, stepMs = 90_000): Promise<T> {
  if (notifier === undefined) return work;
  notifier.extendTimeout(stepMs, status);
  const timer = setInterval(() => notifier.extendTimeout(stepMs, status), stepMs / 3);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
