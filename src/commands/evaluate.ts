/** `uniad-edge evaluate`: the options turned into an evaluation run (evaluation/evaluate.ts), its tables on stdout. */
import { validateConfig } from '../config/validate.js';
import { demoFiles } from '../demo.js';
import { uniadError } from '../errors.js';
import { evaluateModel } from '../evaluation/evaluate.js';
import { readYamlFile } from '../yaml-file.js';
import { command } from './command.js';
import { loggerAt, logLevelOption, threadsOption, threadsValue } from './options.js';

export const evaluate = command({
  name: 'evaluate',
  summary: "image and pixel AUROC of the model on built test folders, and the demo line's part recall, through the runtime",
  usage: '[--model FILE] [--benchmark DIR] [--unseen DIR] [--line FILE] [--config FILE --camera ID] [--out FILE] [--write-sidecar [--ci]] [--threads N] [--log-level LEVEL]',
  options: {
    model: { type: 'string', value: 'FILE', description: 'ONNX model with its sidecar (default: the shipped demo model)' },
    benchmark: { type: 'string', value: 'DIR', description: 'a folder built by python -m models.benchmark.build' },
    unseen: { type: 'string', value: 'DIR', description: 'a folder built by python -m models.benchmark.unseen_defects' },
    line: { type: 'string', value: 'FILE', description: "a line's ground truth (models/demo/line.json): part recall, good parts rejected" },
    config: { type: 'string', value: 'FILE', description: "the service's config, with --camera" },
    camera: { type: 'string', value: 'ID', description: "with --config: score the sets' images (whole camera images) per region of this camera, cut and tiled as the service cuts them" },
    out: { type: 'string', value: 'FILE', description: 'write the sidecar\'s "evaluation" block (AUROC in percent) as JSON' },
    'write-sidecar': { type: 'boolean', description: 'also store the result in the model\'s sidecar under "evaluation"' },
    ci: { type: 'boolean', description: 'with --write-sidecar: under "evaluation.ci" (the small builds CI checks the model against)' },
    threads: threadsOption,
    'log-level': logLevelOption('warn'),
  },
  handler: async (values) => {
    const sets: { benchmark?: string; unseenDefects?: string } = {};
    if (values.benchmark !== undefined) sets.benchmark = values.benchmark;
    if (values.unseen !== undefined) sets.unseenDefects = values.unseen;
    if (Object.keys(sets).length === 0 && values.line === undefined) throw uniadError('USAGE', '"evaluate" needs --benchmark DIR, --unseen DIR or --line FILE');
    if (values.ci && !values['write-sidecar']) throw uniadError('USAGE', '--ci goes with --write-sidecar (it says where in the sidecar the result goes)');
    if ((values.config === undefined) !== (values.camera === undefined)) throw uniadError('USAGE', '--config and --camera go together (the camera whose regions to score the images as)');
    if (values.camera !== undefined && values['write-sidecar']) throw uniadError('USAGE', "--camera scores one camera's regions, not the model: leave --write-sidecar out");
    const camera = values.config === undefined ? undefined : validateConfig(readYamlFile(values.config)).cameras.find((c) => c.id === values.camera);
    if (values.config !== undefined && camera === undefined) throw uniadError('USAGE', `--camera ${values.camera}: no such camera in ${values.config}`);
    const threads = threadsValue(values.threads);
    await evaluateModel({
      model: values.model ?? demoFiles.model,
      sets,
      ...(values.line !== undefined ? { line: values.line } : {}),
      ...(values.out !== undefined ? { out: values.out } : {}),
      ...(threads !== undefined ? { threads } : {}),
      ...(camera !== undefined ? { camera } : {}),
      ...(values['write-sidecar'] ? { writeSidecar: values.ci ? ('ci' as const) : ('evaluation' as const) } : {}),
      logger: loggerAt(values['log-level'], 'warn'),
      print: (line) => process.stdout.write(`${line}\n`),
    });
    return 0;
  },
});
