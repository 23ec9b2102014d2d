/**
 * Versions of CUDA, cuDNN and TensorRT as the installed shared libraries name them (`libnvinfer.so.10.3.0` is
 * TensorRT 10.3.0). Library file names are what the dynamic loader and onnxruntime see, so they are the fact that
 * matters, whatever a package database says.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Where JetPack (Debian packages) and NVIDIA's x86 repositories put these libraries. */
export const libraryDirs = [
  'usr/lib/aarch64-linux-gnu',
  'usr/lib/x86_64-linux-gnu',
  'usr/local/cuda/lib64',
  'usr/local/cuda/targets/aarch64-linux/lib',
  'usr/local/cuda/targets/x86_64-linux/lib',
] as const;

export interface GpuLibraries {
  /** From libcudart.so.MAJOR.MINOR.PATCH (the CUDA runtime's own version). */
  readonly cuda?: string;
  readonly cudnn?: string;
  readonly tensorrt?: string;
}

const patterns = {
  cuda: /^libcudart\.so\.(\d+\.\d+(?:\.\d+)?)$/,
  cudnn: /^libcudnn\.so\.(\d+\.\d+(?:\.\d+)?)$/,
  tensorrt: /^libnvinfer\.so\.(\d+\.\d+(?:\.\d+)?)$/,
} as const;

/** Compares dotted versions numerically: `10.10.0` is newer than `10.9.0`. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** The newest version of each library found in `names` (file names of one or more library folders). */
export function librariesFromNames(names: readonly string[]): GpuLibraries {
  const found: Record<string, string> = {};
  for (const [lib, re] of Object.entries(patterns)) {
    for (const name of names) {
      const v = re.exec(name)?.[1];
      if (v !== undefined && (found[lib] === undefined || compareVersions(v, found[lib]!) > 0)) found[lib] = v;
    }
  }
  return found;
}

/** Scans the library folders of the system under `root`. */
export function readGpuLibraries(root = '/'): GpuLibraries {
  const names = libraryDirs.flatMap((dir) => {
    try {
      return readdirSync(join(root, dir));
    } catch {
      return [];
    }
  });
  return librariesFromNames(names);
}

/** `10.3` from `10.3.0`: release notes and the pin table speak in MAJOR.MINOR. */
export const majorMinor = (version: string) => version.split('.').slice(0, 2).join('.');
