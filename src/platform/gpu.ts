/**
 * A name for the GPU, for the engine cache's identity (a TensorRT engine runs only on the GPU it was built for):
 * the Jetson module from the device tree, else the first NVIDIA driver GPU's model line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Undefined on a machine without an NVIDIA GPU this can see. */
export function readGpuName(root = '/'): string | undefined {
  // The device tree's model is NUL-terminated, e.g. "NVIDIA Jetson AGX Orin Developer Kit\0".
  const model = read(join(root, 'proc/device-tree/model'))?.replace(/\0/g, '').trim();
  if (model && /jetson|tegra|orin|xavier/i.test(model)) return model;
  const gpus = join(root, 'proc/driver/nvidia/gpus');
  let entries: string[] = [];
  try {
    entries = readdirSync(gpus).sort();
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    const m = /^Model:\s*(.+)$/m.exec(read(join(gpus, entry, 'information')) ?? '');
    if (m) return m[1]!.trim();
  }
  return undefined;
}
