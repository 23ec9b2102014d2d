import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, type Config } from './config.js';
import { packageRoot } from './package-root.js';

/** Files the demo ships with (models/demo/). */
export const demoFiles = {
  model: join(packageRoot, 'models/demo/uniad-demo.onnx'),
  video: join(packageRoot, 'models/demo/line.mp4'),
};

/**
 * The configuration `uniad-edge demo` runs: the shipped demo model, the embedded broker on its default ports and
 * the shipped line video in a loop (one camera), plus a synthetic test-pattern camera so cross-camera batching shows.
 */
export function demoConfig(ports: { port?: number; wsPort?: number; dashboardPort?: number } = {}): Config {
  const cameras: unknown[] = [];
  if (existsSync(demoFiles.video)) {
    cameras.push({ id: 'cam1', line: 'demo-line', product: 'mixed', source: demoFiles.video, loop: true, live: true });
  }
  cameras.push({ id: 'testcam', line: 'demo-line', product: 'mixed', source: 'test:ball', fps: 5 });
  return parseConfig({
    site: 'demo',
    node: 'demo-edge',
    cameras,
    model: { path: demoFiles.model, providers: ['cpu'], batchMaxSize: 8, batchMaxWaitMs: 50, deadlineMs: 5000 },
    mqtt: { queue: { store: 'memory' }, heatmaps: { enabled: true, minIntervalMs: 1000 } },
    embeddedBroker: { port: ports.port ?? 1883, wsPort: ports.wsPort ?? 8883 },
    dashboard: { port: ports.dashboardPort ?? 8080 },
  });
}
