/**
 * Which Linux for Tegra (L4T) release a Jetson runs, from /etc/nv_tegra_release (written by NVIDIA's L4T packages:
 * `# R36 (release), REVISION: 4.3, GCID: ..., BOARD: generic, EABI: aarch64, DATE: ...` is L4T 36.4.3).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const l4tReleaseFile = '/etc/nv_tegra_release';

/** `36.4.3` from the file's first line; undefined when the line has another shape. */
export function parseL4tRelease(text: string): string | undefined {
  const m = /^#\s*R(\d+)\s*\(release\),\s*REVISION:\s*(\d+)(?:\.(\d+))?/m.exec(text);
  if (m === null) return undefined;
  return `${m[1]}.${m[2]}.${m[3] ?? '0'}`;
}

/** The L4T release of the system under `root` (`/` on the box itself); undefined when it is not a Jetson. */
export function readL4tRelease(root = '/'): string | undefined {
  try {
    return parseL4tRelease(readFileSync(join(root, l4tReleaseFile), 'utf8'));
  } catch {
    return undefined;
  }
}
