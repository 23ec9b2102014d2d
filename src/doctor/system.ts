/**
 * What the box has for GPU inference and hardware decode: L4T/JetPack, CUDA, cuDNN, TensorRT, the installed
 * onnxruntime-node and its providers, the NVIDIA GStreamer elements. Read from the file system under `root`, so a
 * fixture tree can stand in for a Jetson.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readL4tRelease } from '../platform/l4t.js';
import { majorMinor, readGpuLibraries, type GpuLibraries } from '../platform/libraries.js';
import { bindingVersionIssues, readBinding } from '../platform/onnxruntime-binding.js';
import { pinForL4t, type JetpackPin } from '../platform/pins.js';
import type { Finding } from './findings.js';

export interface SystemFacts {
  readonly l4t?: string;
  readonly pin?: JetpackPin;
  readonly libraries: GpuLibraries;
}

const buildScript = 'deploy/jetson/build-onnxruntime.sh';
const installJetpack = 'sudo apt update && sudo apt install nvidia-jetpack (installs CUDA, cuDNN and TensorRT of your L4T release)';

export function readSystem(root: string, pins: readonly JetpackPin[]): SystemFacts {
  const l4t = readL4tRelease(root);
  const pin = l4t === undefined ? undefined : pinForL4t(pins, l4t);
  return { ...(l4t ? { l4t } : {}), ...(pin ? { pin } : {}), libraries: readGpuLibraries(root) };
}

export function jetpackFindings(facts: SystemFacts): Finding[] {
  const { l4t, pin, libraries } = facts;
  if (l4t === undefined) {
    return [{ check: 'L4T/JetPack', status: 'info', detail: 'not a Jetson (no /etc/nv_tegra_release): the Jetson build and NVMM decode do not apply here' }];
  }
  if (pin === undefined) {
    return [{ check: 'L4T/JetPack', status: 'missing', detail: `L4T ${l4t} is not a JetPack 6 release uniad-edge knows (6.0, 6.1, 6.2, 6.2.1)`, fix: 'flash JetPack 6.2 (L4T 36.4.3) with SDK Manager' }];
  }
  const findings: Finding[] = [
    pin.onnxruntime === undefined
      ? { check: 'L4T/JetPack', status: 'missing', detail: `L4T ${l4t} = JetPack ${pin.jetpack}: no supported onnxruntime build (${pin.note ?? 'see deploy/jetson/onnxruntime-pins.txt'})`, fix: 'flash JetPack 6.2 (L4T 36.4.3) with SDK Manager; CPU inference still works' }
      : { check: 'L4T/JetPack', status: 'ok', detail: `L4T ${l4t} = JetPack ${pin.jetpack} (onnxruntime ${pin.onnxruntime} is built for it)` },
  ];
  const expect = [
    ['CUDA', libraries.cuda, pin.cuda, 'libcudart.so'],
    ['cuDNN', libraries.cudnn, pin.cudnn, 'libcudnn.so'],
    ['TensorRT', libraries.tensorrt, pin.tensorrt, 'libnvinfer.so'],
  ] as const;
  for (const [name, found, want, lib] of expect) {
    if (found === undefined) findings.push({ check: name, status: 'missing', detail: `no ${lib}.* found (JetPack ${pin.jetpack} ships ${name} ${want})`, fix: installJetpack });
    else if (majorMinor(found) !== want) findings.push({ check: name, status: 'warn', detail: `${name} ${found}, but JetPack ${pin.jetpack} ships ${want}: a mixed install; the build checks against ${want}`, fix: installJetpack });
    else findings.push({ check: name, status: 'ok', detail: `${name} ${found}` });
  }
  return findings;
}

/** The installed binding: versions, providers compiled in, and whether TensorRT settings reach TensorRT. */
export function onnxruntimeFindings(nodeModules: string, facts: SystemFacts, arch?: string): Finding[] {
  const info = readBinding(nodeModules, arch ?? (facts.l4t ? 'arm64' : process.arch));
  const findings: Finding[] = bindingVersionIssues(info).map((issue) => ({ check: 'onnxruntime', status: 'missing' as const, detail: issue, fix: facts.l4t ? `bash ${buildScript}` : 'npm ci' }));
  if (info.version === undefined) return findings;
  findings.unshift({ check: 'onnxruntime', status: 'ok', detail: `onnxruntime-node ${info.version} in ${info.dir}, providers compiled in: ${info.providers.join(', ')}` });
  if (facts.l4t !== undefined) {
    if (!info.providers.includes('tensorrt') || info.build === undefined) {
      findings.push({ check: 'onnxruntime TensorRT', status: 'missing', detail: 'this onnxruntime-node has no TensorRT provider (npm publishes none for arm64): inference runs on the CPU', fix: `bash ${buildScript}` });
    } else if (!info.build.tensorrtOptions) {
      findings.push({ check: 'onnxruntime TensorRT', status: 'missing', detail: 'built without the TensorRT options patch: FP16 and the engine cache cannot reach TensorRT', fix: `bash ${buildScript}` });
    } else if (facts.pin?.onnxruntime !== undefined && info.build.onnxruntime !== facts.pin.onnxruntime) {
      findings.push({ check: 'onnxruntime TensorRT', status: 'warn', detail: `built as onnxruntime ${info.build.onnxruntime} for JetPack ${info.build.jetpack}; this box runs JetPack ${facts.pin.jetpack}, pinned to ${facts.pin.onnxruntime}`, fix: `bash ${buildScript}` });
    } else {
      findings.push({ check: 'onnxruntime TensorRT', status: 'ok', detail: `Jetson build for JetPack ${info.build.jetpack} (TensorRT ${info.build.tensorrt}), TensorRT options patch applied` });
    }
  }
  return findings;
}

/** GStreamer plugin files of the NVIDIA elements (nvidia-l4t-gstreamer), for a fixture tree where gst-inspect cannot run. */
export const nvidiaPlugins: Record<string, string> = {
  nvv4l2decoder: 'libgstnvvideo4linux2.so',
  nvvidconv: 'libgstnvvidconv.so',
  nvarguscamerasrc: 'libgstnvarguscamerasrc.so',
};

export function pluginElements(root: string): Set<string> {
  const dirs = ['usr/lib/aarch64-linux-gnu/gstreamer-1.0', 'usr/lib/x86_64-linux-gnu/gstreamer-1.0'];
  return new Set(Object.entries(nvidiaPlugins).filter(([, file]) => dirs.some((d) => existsSync(join(root, d, file)))).map(([element]) => element));
}

export function gstreamerFindings(available: ReadonlySet<string>, jetson: boolean): Finding[] {
  const missing = Object.keys(nvidiaPlugins).filter((e) => !available.has(e));
  if (missing.length === 0) return [{ check: 'NVMM GStreamer', status: 'ok', detail: `${Object.keys(nvidiaPlugins).join(', ')} found: decoder auto takes the hardware decoder` }];
  return [
    {
      check: 'NVMM GStreamer',
      status: jetson ? 'missing' : 'info',
      detail: `${missing.join(', ')} not found: cameras decode in software${missing.includes('nvarguscamerasrc') ? ', and CSI cameras cannot run' : ''}`,
      ...(jetson ? { fix: 'sudo apt install nvidia-l4t-gstreamer, then rm -rf ~/.cache/gstreamer-1.0 (the registry cache)' } : {}),
    },
  ];
}
