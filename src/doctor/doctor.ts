/**
 * `uniad-edge doctor`: what this box has and what is missing for uniad-edge, each missing thing with its fix.
 * `root` is the file system to inspect (`/`, or a fixture tree that looks like a Jetson); `nodeModules` the
 * node_modules holding onnxruntime-node; the GStreamer elements come from gst-inspect-1.0 on the box itself and
 * from plugin file names in a fixture tree.
 *
 * Folder doctor/: this command. It may read sources/, pipeline/, images/ and config.ts for what the runtime needs; it
 * never imports sinks/, broker/, http/, evidence/, calibrate/, evaluation/ or the wiring.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { packageRoot } from '../package-root.js';
import { readGpuName } from '../platform/gpu.js';
import { readBinding } from '../platform/onnxruntime-binding.js';
import { readPins } from '../platform/pins.js';
import { installedElements } from '../sources/gst-elements.js';
import { nvmmElements } from '../sources/launch-nvmm.js';
import { configFindings } from './config-checks.js';
import type { Finding } from './findings.js';
import { gstreamerFindings, jetpackFindings, onnxruntimeFindings, pluginElements, readSystem } from './system.js';

/** Where install.sh puts the release (the box engineer's layout). */
export const installPrefix = 'opt/uniad-edge';

export interface DoctorOptions {
  readonly root?: string;
  readonly config?: Config;
  readonly nodeModules?: string;
}

export async function doctor(opts: DoctorOptions = {}): Promise<Finding[]> {
  const root = opts.root ?? '/';
  const onBox = root === '/';
  const facts = readSystem(root, readPins());
  // In a fixture tree: the release's node_modules, under `current` where the release layout has one.
  const release = existsSync(join(root, installPrefix, 'current')) ? join(root, installPrefix, 'current') : join(root, installPrefix);
  const nodeModules = opts.nodeModules ?? (onBox ? join(packageRoot, 'node_modules') : join(release, 'node_modules'));
  const elements = onBox ? installedElements([...new Set([...nvmmElements.decode, ...nvmmElements.csi])]) : pluginElements(root);
  const findings = [...jetpackFindings(facts), ...onnxruntimeFindings(nodeModules, facts), ...gstreamerFindings(elements, facts.l4t !== undefined)];
  if (opts.config === undefined) {
    findings.push({ check: 'config', status: 'info', detail: 'no --config: cameras, broker, state folder and engine cache not checked' });
    return findings;
  }
  const binding = existsSync(nodeModules) ? readBinding(nodeModules, facts.l4t ? 'arm64' : process.arch) : undefined;
  const gpu = readGpuName(root);
  const engine = {
    ...(binding?.providers.includes('tensorrt') && binding.version ? { onnxruntime: binding.version } : {}),
    ...(facts.libraries.tensorrt ? { tensorrt: facts.libraries.tensorrt } : {}),
    ...(gpu ? { gpu } : {}),
  };
  return [...findings, ...(await configFindings(opts.config, elements, engine))];
}
