/** `uniad-edge check`: the config read and the model loaded and checked against the contract, nothing started. */
import { loadConfig } from '../config.js';
import { exitOnUnhandled } from '../last-resort.js';
import { checkService } from '../service/check.js';
import { command } from './command.js';
import { configOption, loggerAt, logLevelOption } from './options.js';

export const check = command({
  name: 'check',
  summary: 'validate the config and the model against the contract, then exit',
  usage: '--config FILE [--log-level LEVEL]',
  options: {
    config: configOption,
    'log-level': logLevelOption("the config's log.level"),
  },
  handler: async (values) => {
    const cfg = loadConfig(values.config);
    const logger = loggerAt(values['log-level'], cfg.log.level);
    exitOnUnhandled(logger);
    const checked = await checkService(cfg, logger);
    process.stdout.write(`config and model OK: ${cfg.cameras.length} camera(s), model ${checked.modelId} on ${checked.provider}\n`);
    return 0;
  },
});
