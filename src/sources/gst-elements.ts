/** Which GStreamer elements this machine has, asked once at start with `gst-inspect-1.0 --exists NAME`. */
import { spawnSync } from 'node:child_process';

export type ElementProbe = (name: string) => boolean;

const gstInspect: ElementProbe = (name) => spawnSync('gst-inspect-1.0', ['--exists', name], { stdio: 'ignore', timeout: 10_000 }).status === 0;

export function installedElements(names: readonly string[], probe: ElementProbe = gstInspect): Set<string> {
  return new Set(names.filter((n) => probe(n)));
}
