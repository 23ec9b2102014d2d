/**
 * What the installed onnxruntime-node is: its version, the version of the onnxruntime-common JavaScript API next to
 * it, which execution providers its native folder carries, and — for the Jetson build made by
 * deploy/jetson/build-onnxruntime.sh — the build record that script writes (`uniad-edge-build.json`).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProviderName } from '../types.js';
import { compareVersions } from './libraries.js';

/** Written by build-onnxruntime.sh into the onnxruntime-node folder it installs. */
export interface JetsonBuildRecord {
  readonly onnxruntime: string;
  readonly jetpack: string;
  readonly l4t: string;
  readonly cuda: string;
  readonly cudnn: string;
  readonly tensorrt: string;
  /** The binding was patched to pass TensorRT provider options (deploy/jetson/patch-node-tensorrt-options.py). */
  readonly tensorrtOptions: boolean;
}

export interface BindingInfo {
  readonly dir: string;
  readonly version?: string;
  readonly commonVersion?: string;
  /** Providers whose libraries are in the native folder for this platform; `cpu` is always compiled in. */
  readonly providers: readonly ProviderName[];
  readonly build?: JetsonBuildRecord;
}

/** The oldest onnxruntime whose JavaScript API the runtime uses throughout (session.inputMetadata came in 1.22.0). */
export const minimumOnnxruntime = '1.22.0';

export const buildRecordName = 'uniad-edge-build.json';

function version(packageJson: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

const nodeArch: Record<string, string> = { arm64: 'arm64', aarch64: 'arm64', x64: 'x64', x86_64: 'x64' };

/** Reads the onnxruntime-node in `nodeModules` (a node_modules folder) as built for `arch` on Linux. */
export function readBinding(nodeModules: string, arch: string = process.arch): BindingInfo {
  const dir = join(nodeModules, 'onnxruntime-node');
  const nested = join(dir, 'node_modules', 'onnxruntime-common', 'package.json');
  const commonVersion = version(existsSync(nested) ? nested : join(nodeModules, 'onnxruntime-common', 'package.json'));
  const providers: ProviderName[] = ['cpu'];
  const bin = join(dir, 'bin');
  let napi: string[] = [];
  try {
    napi = readdirSync(bin).filter((d) => d.startsWith('napi-v'));
  } catch {
    napi = [];
  }
  const libs = napi.flatMap((d) => {
    try {
      return readdirSync(join(bin, d, 'linux', nodeArch[arch] ?? arch));
    } catch {
      return [];
    }
  });
  if (libs.some((f) => f.startsWith('libonnxruntime_providers_cuda.so'))) providers.push('cuda');
  if (libs.some((f) => f.startsWith('libonnxruntime_providers_tensorrt.so'))) providers.push('tensorrt');
  let build: JetsonBuildRecord | undefined;
  try {
    build = JSON.parse(readFileSync(join(dir, buildRecordName), 'utf8')) as JetsonBuildRecord;
  } catch {
    build = undefined;
  }
  const pkgVersion = version(join(dir, 'package.json'));
  return { dir, providers, ...(pkgVersion ? { version: pkgVersion } : {}), ...(commonVersion ? { commonVersion } : {}), ...(build ? { build } : {}) };
}

/**
 * What is wrong with the installed binding's versions, each with its fix; empty when nothing is. The binding and
 * its JavaScript API must be one release (a Jetson build installed over npm's package can leave npm's
 * onnxruntime-common behind), new enough for the runtime, and — on a Jetson build — the release the build recorded.
 */
export function bindingVersionIssues(info: BindingInfo): string[] {
  const rebuild = 'run deploy/jetson/build-onnxruntime.sh again (it installs the binding and its onnxruntime-common together)';
  if (info.version === undefined) return [`onnxruntime-node is not installed in ${info.dir} (run npm ci; on a Jetson run deploy/jetson/build-onnxruntime.sh)`];
  const issues: string[] = [];
  if (info.commonVersion !== undefined && info.commonVersion !== info.version) {
    issues.push(`onnxruntime-node ${info.version} runs with onnxruntime-common ${info.commonVersion}: the JavaScript API must be the same release (${info.build ? rebuild : 'npm ci'})`);
  }
  if (compareVersions(info.version, minimumOnnxruntime) < 0) {
    issues.push(`onnxruntime-node ${info.version} is older than ${minimumOnnxruntime}, the oldest whose JavaScript API uniad-edge uses (${info.build ? rebuild : 'npm ci'})`);
  }
  if (info.build !== undefined && info.build.onnxruntime !== info.version) {
    issues.push(`the Jetson build recorded onnxruntime ${info.build.onnxruntime} but onnxruntime-node ${info.version} is installed (an npm install replaced it? ${rebuild})`);
  }
  return issues;
}
