/** `uniad-edge calibrate`: the options turned into a calibration run (calibrate/calibrate.ts), a line per threshold on stdout. */
import { calibrate as calibrateThresholds } from '../calibrate/calibrate.js';
import { progressBar } from '../calibrate/progress.js';
import { providerNames, type ProviderName } from '../config.js';
import { validateConfig } from '../config/validate.js';
import { uniadError } from '../errors.js';
import { command } from './command.js';
import { readYamlFile } from '../yaml-file.js';
import { loggerAt, logLevelOption, threadsOption, threadsValue } from './options.js';

const isProvider = (name: string): name is ProviderName => (providerNames as readonly string[]).includes(name);

export const calibrate = command({
  name: 'calibrate',
  summary: 'thresholds per product (and camera, and region) for a false-reject rate R on normal images, with a markdown report and score plots next to FILE',
  usage: '--model FILE --images DIR [--defects DIR] --target-false-reject R --out FILE [--config FILE] [--providers LIST] [--threads N] [--log-level LEVEL]',
  options: {
    model: { type: 'string', value: 'FILE', required: true, description: 'the ONNX model (with its sidecar) to calibrate' },
    images: { type: 'string', value: 'DIR', required: true, description: 'normal images: <product>/*.png (any camera), <product>/<camera>/*.png (also a threshold for that camera)' },
    defects: { type: 'string', value: 'DIR', description: 'defective images, <product>/**/*.png: recall at the threshold and the best-F1 threshold in the report' },
    'target-false-reject': { type: 'string', value: 'R', required: true, description: 'the false-reject rate on normal images to set the thresholds for, e.g. 0.001' },
    out: { type: 'string', value: 'FILE', required: true, description: 'the thresholds file to write, e.g. thresholds.json (the report and plots go next to it)' },
    config: { type: 'string', value: 'FILE', description: "the service's config: the images of a camera with regions (<product>/<camera>/*.png, whole camera images) are cut into its regions and tiles as the service cuts them, a threshold per region" },
    providers: { type: 'string', value: 'LIST', description: `execution providers to try in order, of ${providerNames.join(', ')} (default tensorrt,cuda,cpu)` },
    threads: threadsOption,
    'log-level': logLevelOption('warn'),
  },
  handler: async (values) => {
    const providers = (values.providers ?? 'tensorrt,cuda,cpu').split(',').map((p) => p.trim());
    const unknown = providers.filter((p) => !isProvider(p));
    if (unknown.length > 0) throw uniadError('USAGE', `--providers: unknown ${unknown.join(', ')} (use ${providerNames.join(', ')})`);
    const result = await calibrateThresholds({
      modelPath: values.model,
      imagesDir: values.images,
      defectsDir: values.defects,
      target: Number(values['target-false-reject']),
      out: values.out,
      providers: providers.filter(isProvider),
      threads: threadsValue(values.threads) ?? 0,
      ...(values.config === undefined ? {} : { cameras: validateConfig(readYamlFile(values.config)).cameras }),
      logger: loggerAt(values['log-level'], 'warn'),
      progress: progressBar(),
    });
    for (const g of result.groups) {
      const recall = g.defects ? `, recall ${(g.defects.recall * 100).toFixed(1)} % of ${g.defects.n} defective` : '';
      process.stdout.write(`${g.product}${g.camera ? `/${g.camera}` : ''}${g.region ? `/${g.region}` : ''}: threshold ${g.threshold.toPrecision(6)} from ${g.normals} normal images${g.supported ? '' : ' (too few for the target: see the report)'}${recall}\n`);
    }
    process.stdout.write(`wrote ${values.out}, ${result.reportPath} and ${result.plotPaths.length} plot(s)\n`);
    return 0;
  },
});
