/** `uniad-edge actuate`: the reject actuator (src/actuator/), its own process with its own config, until a signal stops it. */
import { startActuator } from '../actuator/actuator.js';
import { actuatorExample, loadActuatorConfig } from '../actuator/config/load.js';
import { exitIfStuck, exitOnUnhandled } from '../last-resort.js';
import { systemdNotifier } from '../systemd/notify.js';
import { command } from './command.js';
import { configOption, loggerAt, logLevelOption } from './options.js';

/** How long a stop waits for the parts already on their way to reach the ejector. */
const drainMs = 30_000;

export const actuate = command({
  name: 'actuate',
  summary: `run the reject actuator with its own YAML config (see ${actuatorExample})`,
  usage: '--config FILE [--log-level LEVEL]',
  options: {
    config: { ...configOption, description: "the actuator's configuration file (YAML)" },
    'log-level': logLevelOption("the config's log.level"),
  },
  notes: `Signals: SIGTERM or SIGINT stop taking part signals, let the parts already on their way reach the ejector (at
most ${drainMs / 1000} s), drive the outputs off, publish "offline" and exit 0. See docs/actuator.md.`,
  handler: async (values) => {
    const cfg = loadActuatorConfig(values.config);
    const logger = loggerAt(values['log-level'], cfg.log.level);
    exitOnUnhandled(logger);
    // a signal during the start is kept and acted on once the actuator can stop
    let stopAsked: string | undefined;
    let stop = (why: string) => void (stopAsked ??= why);
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    const notifier = systemdNotifier(logger);
    const actuator = await startActuator(cfg, { logger });
    notifier.ready(`actuating ${cfg.stations.length} station(s)${actuator.httpUrl ? `, metrics at ${actuator.httpUrl}` : ''}`);
    const stopWatchdog = notifier.startWatchdog();
    const stopped = new Promise<void>((resolve) => {
      stop = (why) => {
        logger.info('actuator: stopping', { why });
        notifier.stopping(`stopping: ${why}`);
        stopWatchdog();
        exitIfStuck(logger, drainMs + 15_000);
        void actuator.stop(drainMs).then(resolve);
      };
    });
    if (stopAsked !== undefined) stop(stopAsked);
    await stopped;
    notifier.close();
    return 0;
  },
});
