/** `uniad-edge calibrate`: options checked, the calibration run, a line per threshold on stdout. */
import { providerNames, type Config, type ProviderName } from '../config.js';
import { commandFailure } from '../command-failure.js';
import { uniadError } from '../errors.js';
import { createLogger } from '../log.js';
import { calibrate } from './calibrate.js';
import { progressBar } from './progress.js';

export interface CalibrateValues {
  readonly model?: string;
  readonly images?: string;
  readonly defects?: string;
  readonly 'target-false-reject'?: string;
  readonly out?: string;
  readonly providers?: string;
  readonly threads?: string;
  readonly 'log-level'?: string;
}

/** Resolves to the exit code. */
export async function calibrateCommand(values: CalibrateValues): Promise<number> {
  try {
    const need = (name: keyof CalibrateValues) => {
      const v = values[name];
      if (v === undefined) throw uniadError('USAGE', `calibrate needs --${name}`);
      return v;
    };
    const target = Number(need('target-false-reject'));
    const providers = (values.providers ?? 'tensorrt,cuda,cpu').split(',').map((p) => p.trim());
    const unknown = providers.filter((p) => !(providerNames as readonly string[]).includes(p));
    if (unknown.length > 0) throw uniadError('USAGE', `--providers: unknown ${unknown.join(', ')} (use ${providerNames.join(', ')})`);
    const threads = values.threads === undefined ? 0 : Number(values.threads);
    if (!Number.isInteger(threads) || threads < 0) throw uniadError('USAGE', `--threads must be a whole number >= 0, got "${values.threads}"`);
    const logger = createLogger((values['log-level'] ?? 'warn') as Config['log']['level']);
    const result = await calibrate({
      modelPath: need('model'),
      imagesDir: need('images'),
      defectsDir: values.defects,
      target,
      out: need('out'),
      providers: providers as ProviderName[],
      threads,
      logger,
      progress: progressBar(),
    });
    for (const g of result.groups) {
      const recall = g.defects ? `, recall ${(g.defects.recall * 100).toFixed(1)} % of ${g.defects.n} defective` : '';
      process.stdout.write(`${g.product}${g.camera ? `/${g.camera}` : ''}: threshold ${g.threshold.toPrecision(6)} from ${g.normals} normal images${g.supported ? '' : ' (too few for the target: see the report)'}${recall}\n`);
    }
    process.stdout.write(`wrote ${values.out}, ${result.reportPath} and ${result.plotPaths.length} plot(s)\n`);
    return 0;
  } catch (err) {
    return commandFailure(err);
  }
}
