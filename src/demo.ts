import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, type Config } from './config.js';
import { packageRoot } from './package-root.js';
import { resolveStateDir } from './state-dir.js';

/**
 * The demo line's stations the demo runs: one camera per product, as a real line has it, each judged at its own
 * product's threshold from the sidecar. The line has a station video for every class (models/demo/line/,
 * ground truth models/demo/line.json); three keep the demo's load at 15 frames a second on a small CPU.
 */
export const demoStations = ['washer', 'cardboard', 'concrete'] as const;

/** Files the demo ships with (models/demo/). */
export const demoFiles = {
  model: join(packageRoot, 'models/demo/uniad-demo.onnx'),
  line: join(packageRoot, 'models/demo/line.json'),
  station: (product: string) => join(packageRoot, 'models/demo/line', `${product}.mp4`),
};

/**
 * The configuration `uniad-edge demo` runs: the shipped demo model, the embedded broker on its default ports and the
 * demo stations' videos in a loop, played live (5 fps each), their parts found by the station detector; all cameras
 * share one model and one batch.
 * Its state folder is `demo/` in the default one: a demo beside an installed service does not take the service's lock.
 */
export function demoConfig(ports: { port?: number; wsPort?: number; dashboardPort?: number } = {}): Config {
  const cameras = demoStations
    .filter((product) => existsSync(demoFiles.station(product)))
    // each station shows one part at a time: the station detector makes one part decision of each (docs/parts.md)
    .map((product) => ({ id: product, line: 'demo-line', product, source: demoFiles.station(product), loop: true, live: true, parts: { detector: { kind: 'station' } } }));
  return parseConfig({
    stateDir: join(resolveStateDir(), 'demo'),
    site: 'demo',
    node: 'demo-edge',
    cameras,
    model: { path: demoFiles.model, providers: ['cpu'], batchMaxSize: 8, batchMaxWaitMs: 50, deadlineMs: 5000 },
    mqtt: { queue: { store: 'memory' }, heatmaps: { enabled: true, minIntervalMs: 1000 } },
    embeddedBroker: { port: ports.port ?? 1883, wsPort: ports.wsPort ?? 9001 },
    dashboard: { port: ports.dashboardPort ?? 8080 },
  });
}
