/** `uniad-edge doctor`: one line per finding; exit status 1 when something the service needs is missing. */
import { loadConfig } from '../config.js';
import { doctor as examine } from '../doctor/doctor.js';
import { formatFindings } from '../doctor/findings.js';
import { command } from './command.js';

export const doctor = command({
  name: 'doctor',
  summary:
    'what this box has and lacks (JetPack, CUDA, TensorRT, onnxruntime providers, NVMM decoders; with --config also cameras, broker, state folder, engine cache)',
  usage: '[--config FILE] [--root DIR]',
  options: {
    config: { type: 'string', value: 'FILE', short: 'c', description: "also check this config's cameras, broker, state folder and engine cache" },
    root: { type: 'string', value: 'DIR', description: 'inspect the system under DIR instead of / (a copied or fixture tree)' },
  },
  handler: async (values) => {
    const findings = await examine({ ...(values.root ? { root: values.root } : {}), ...(values.config ? { config: loadConfig(values.config) } : {}) });
    process.stdout.write(`${formatFindings(findings)}\n`);
    return findings.some((f) => f.status === 'missing') ? 1 : 0;
  },
});
