/**
 * A parent of capture processes that a test can SIGKILL: captures every camera given as JSON (argv[2], an array of
 * SourceSpec) through captureCamera and prints `STARTED <pid>` on stdout for each capture process it starts.
 */
import { silentLogger } from '../../src/log.js';
import { captureCamera } from '../../src/sources/capture.js';
import type { SourceSpec } from '../../src/sources/uri.js';

const specs = JSON.parse(process.argv[2]!) as SourceSpec[];
for (const [i, spec] of specs.entries()) {
  const camera = { id: `cam${i}`, line: 'line1', product: 'bottle', spec, loop: true, watchdogSeconds: 600 };
  captureCamera(camera, {
    width: 32,
    height: 24,
    logger: silentLogger,
    onEvent: (event) => {
      if (event.type === 'started') process.stdout.write(`STARTED ${event.pid}\n`);
    },
  }).subscribe();
}
