/**
 * `uniad-edge run`: the service on a config until a signal stops it. `serve` is what `demo` runs too: the state
 * folder's lock, the signal handlers, the service started and kept until it stops, verdict lines on stdout.
 */
import { loadConfig, type Config } from '../config.js';
import type { UniadError } from '../errors.js';
import { exitIfStuck, exitOnUnhandled } from '../last-resort.js';
import { startService, type PortSettings } from '../service.js';
import { StatusCauses } from '../sinks/status-causes.js';
import { statePaths } from '../state-dir.js';
import { takeStateLock, type StateLock } from '../state-lock.js';
import { systemdNotifier, type Notifier } from '../systemd/notify.js';
import type { Logger } from '../types.js';
import { formatVerdict } from '../verdict-line.js';
import { command } from './command.js';
import { configOption, loggerAt, logLevelOption } from './options.js';

export const signalsNote = `Signals: SIGTERM or SIGINT stop the cameras, drain the batches in flight, publish "offline" and exit 0.

SIGHUP re-reads the config (run): products, thresholds, the thresholds file and a changed model apply from the next
frames without stopping a camera; an invalid config keeps the old values.`;

export interface Serving {
  readonly cfg: Config;
  readonly logger: Logger;
  /** Whether verdict lines go to stdout (until stdout closes). */
  readonly print: boolean;
  readonly notifier?: (logger: Logger) => Notifier;
  /** The config SIGHUP applies (throws when it is invalid), and what the log names as its source. */
  readonly reread: () => Config;
  readonly source: string;
  /** Stop after this many seconds. */
  readonly seconds?: number;
  /** What moves each port, as errors name it; default the config's keys. */
  readonly portSettings?: PortSettings;
}

/** Resolves to the exit code once the service has stopped. */
export async function serve({ cfg, logger, print: printAsked, notifier, reread, source, seconds, portSettings }: Serving): Promise<number> {
  exitOnUnhandled(logger);
  // A closed stdout (`| head`) ends the printing, not the inspection.
  let printing = printAsked;
  process.stdout.on('error', () => (printing = false));
  const print = (line: string) => printing && process.stdout.write(line + '\n');
  let lock: StateLock | undefined;
  // Closed when serving ends, however it ends: its socket would keep the process alive after everything stopped.
  const notify = notifier?.(logger);
  // What keeps the node from `online` already before the start: a state folder that cannot hold the lock.
  const causes = new StatusCauses();
  try {
    // one instance per state folder; a folder that cannot hold the lock does not stop the line
    try {
      lock = takeStateLock(statePaths(cfg.stateDir).lock);
    } catch (err) {
      if ((err as UniadError).code !== 'STATE_DIR') throw err;
      logger.error('state folder unusable: running without the instance lock, degraded', { stateDir: cfg.stateDir, error: (err as Error).message });
      causes.set(err as UniadError);
    }
    // Signals that come while the model loads are kept and acted on once the service can stop or reload:
    // without a handler, SIGTERM there would kill the process with no `offline` status and no exit code.
    let stop = (why: string) => void (stopAsked ??= why);
    let stopAsked: string | undefined;
    // A reload asked for meanwhile (a promotion's SIGHUP) may name what the start did not read: it runs once started.
    let reloadAsked = false;
    let reload = () => {
      if (!reloadAsked) logger.info('SIGHUP during start-up: the config is read again once the service has started');
      reloadAsked = true;
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => reload());
    const service = await startService(cfg, {
      logger,
      onDecision: (d) => print(formatVerdict(d.verdict)),
      notifier: notify,
      portSettings,
      causes,
    });
    if (service.brokerUrl) logger.info('mqtt broker', { url: service.brokerUrl, wsUrl: service.brokerWsUrl });
    if (service.dashboardUrl) process.stderr.write(`uniad-edge: dashboard at ${service.dashboardUrl}\n`);

    // The drain waits up to deadlineMs + 5 s, the MQTT close up to 2 x 5 s; past that something is stuck.
    stop = (why: string) => {
      exitIfStuck(logger, cfg.model.deadlineMs + 30_000);
      void service.stop(why);
    };
    reload = () => {
      let next: Config;
      try {
        next = reread();
      } catch (err) {
        logger.error('reload refused, old settings kept: the config is invalid', { error: (err as Error).message });
        service.reloadRefused(`the config is invalid: ${(err as Error).message}`);
        return;
      }
      logger.info('reloading on SIGHUP', { config: source });
      void service.reload(next);
    };
    if (stopAsked !== undefined) stop(stopAsked);
    else if (reloadAsked) reload();
    const timer = seconds === undefined ? undefined : setTimeout(() => stop(`--seconds ${seconds}`), seconds * 1000);
    await service.stopped;
    if (timer) clearTimeout(timer);
    return 0;
  } finally {
    notify?.close();
    lock?.release();
  }
}

export const run = command({
  name: 'run',
  summary: 'run the service with a YAML config (see config.example.yaml)',
  usage: '--config FILE [--quiet] [--verdicts] [--log-level LEVEL]',
  options: {
    config: configOption,
    quiet: { type: 'boolean', description: 'do not print verdicts to stdout' },
    verdicts: {
      type: 'boolean',
      description: 'print one line a verdict to stdout even when it is not a terminal (the journal gets none by default: verdicts are on MQTT, a stats line is in the log)',
    },
    'log-level': logLevelOption("the config's log.level"),
  },
  notes: signalsNote,
  handler: async (values) => {
    const cfg = loadConfig(values.config);
    return serve({
      cfg,
      logger: loggerAt(values['log-level'], cfg.log.level),
      // verdict lines are for a person at a terminal, not for the journal
      print: !values.quiet && (values.verdicts || process.stdout.isTTY === true),
      notifier: systemdNotifier,
      reread: () => loadConfig(values.config),
      source: values.config,
    });
  },
});
