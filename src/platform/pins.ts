/**
 * The per-JetPack version table (deploy/jetson/onnxruntime-pins.txt): what each JetPack 6 release ships and which
 * onnxruntime uniad-edge builds on it. One file, read by the build script, the start-up check and `doctor`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';

export interface JetpackPin {
  readonly jetpack: string;
  /** L4T release as in /etc/nv_tegra_release, e.g. `36.4.3`. */
  readonly l4t: string;
  readonly cuda: string;
  readonly cudnn: string;
  readonly tensorrt: string;
  /** The onnxruntime release to build; undefined where no build is supported (then `note` says why). */
  readonly onnxruntime?: string;
  readonly note?: string;
}

export const pinsFile = (root = packageRoot) => join(root, 'deploy', 'jetson', 'onnxruntime-pins.txt');

/** Parses the table; `#` starts a comment, columns are separated by blanks, the note is the rest of the line. */
export function parsePins(text: string): JetpackPin[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [jetpack, l4t, cuda, cudnn, tensorrt, onnxruntime, ...note] = line.split(/\s+/);
      if (onnxruntime === undefined) throw new Error(`onnxruntime-pins: a row needs 6 columns: "${line}"`);
      const rest = note.join(' ');
      return {
        jetpack: jetpack!,
        l4t: l4t!,
        cuda: cuda!,
        cudnn: cudnn!,
        tensorrt: tensorrt!,
        ...(onnxruntime === '-' ? {} : { onnxruntime }),
        ...(rest === '' || rest === '-' ? {} : { note: rest }),
      };
    });
}

export function readPins(file = pinsFile()): JetpackPin[] {
  return parsePins(readFileSync(file, 'utf8'));
}

/** The row for an L4T release: an exact match, else the row whose L4T is a prefix of it (36.3 covers 36.3.0). */
export function pinForL4t(pins: readonly JetpackPin[], l4t: string): JetpackPin | undefined {
  return pins.find((p) => p.l4t === l4t) ?? pins.find((p) => l4t.startsWith(`${p.l4t}.`));
}
