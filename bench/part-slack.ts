/**
 * `npm run bench:parts`: how much time a part's decision leaves before the ejector needs it, on the demo line at its
 * own speed, with 1 and 4 cameras. Reported in docs/parts.md ("Slack at the demo's line speed").
 *
 * The demo line (models/demo/line.json) is an indexing line: each station holds a part for `hold_frames` frames at
 * `fps` (5 frames at 5 fps: a part a second), then the next part is in its place. The service runs as shipped for it:
 * the demo model on the CPU, each station's video played live as a camera, the station detector (defaults: a part
 * after 2 still frames, decided on its first 3). The ejector is taken to be one station downstream: a part reaches it
 * one pitch (1 s) after it reached the camera. For every part decision a real MQTT subscriber (where the actuator
 * would be) notes when it arrived:
 *
 *   latency = arrival − signalAt (the part's first frame, when it reached the station)
 *   slack   = signalAt + pitch − arrival (what is left before the ejector needs it; negative: late, rejected fail-safe)
 *
 *   npm run bench:parts                          1 and 4 cameras, 40 s each
 *   npm run bench:parts -- --seconds 20 --cameras 1,2,4
 *
 * Run it on an otherwise idle machine (`nice` on a shared one: the figures then carry the load, said in the output).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/config.js';
import { readLineTruth } from '../src/evaluation/line.js';
import { silentLogger } from '../src/log.js';
import { packageRoot } from '../src/package-root.js';
import { startService } from '../src/service.js';
import type { PartVerdict } from '../src/types.js';
import { subscribe } from '../test/support/subscriber.js';
import { spread, type Spread } from './stats.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '40' }, cameras: { type: 'string', default: '1,4' } } });
const seconds = Number(values.seconds);
const counts = values.cameras!.split(',').map(Number);
const truth = readLineTruth(join(packageRoot, 'models/demo/line.json'));
const pitchMs = (truth.stations[0]!.parts[0]!.last_frame - truth.stations[0]!.parts[0]!.first_frame + 1) * (1000 / truth.fps);
const stations = ['washer', 'cardboard', 'concrete', 'leaf', 'wood', 'tiles', 'chip', 'brick'];

interface Run {
  readonly cameras: number;
  readonly parts: number;
  readonly failSafe: number;
  readonly latency: Spread;
  readonly slack: Spread;
  readonly late: number;
}

async function run(cameras: number): Promise<Run> {
  const stateDir = mkdtempSync(join(tmpdir(), 'uniad-bench-parts-'));
  const cfg = parseConfig({
    site: 'bench',
    node: 'bench',
    stateDir,
    cameras: stations.slice(0, cameras).map((product) => ({ id: product, line: 'demo-line', product, source: join(packageRoot, 'models/demo/line', `${product}.mp4`), loop: true, live: true, parts: { detector: { kind: 'station' } } })),
    model: { path: join(packageRoot, 'models/demo/uniad-demo.onnx'), providers: ['cpu'], batchMaxSize: 8, deadlineMs: 5000 },
    mqtt: { queue: { store: 'memory' } },
    embeddedBroker: { port: 0, wsPort: 0 },
    dashboard: { enabled: false },
    archive: { enabled: false },
    log: { statsIntervalSeconds: 0 },
  });
  const service = await startService(cfg, { logger: silentLogger });
  const sub = await subscribe(service.brokerUrl!, ['uniad/bench/+/+/part']);
  const arrived = new Map<string, number>();
  sub.client.on('message', (_topic, payload) => arrived.set((JSON.parse(payload.toString()) as PartVerdict).id, Date.now()));
  // the first parts of each camera come while the model and the capture warm up: not the line's steady state
  await new Promise((r) => setTimeout(r, 5000));
  const from = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const parts = sub.json<PartVerdict>('part').filter((p) => p.signalAt >= from && arrived.has(p.id));
  await sub.close();
  await service.stop('bench end');
  rmSync(stateDir, { recursive: true, force: true });
  const latency = parts.map((p) => arrived.get(p.id)! - p.signalAt);
  const slack = latency.map((l) => pitchMs - l);
  return { cameras, parts: parts.length, failSafe: parts.filter((p) => p.reason !== 'ok' && p.reason !== 'anomaly').length, latency: spread(latency), slack: spread(slack.map((s) => -s)), late: slack.filter((s) => s < 0).length };
}

const results: Run[] = [];
for (const n of counts) {
  process.stderr.write(`bench parts: ${n} camera(s), ${seconds} s …\n`);
  results.push(await run(n));
}
const ms = (x: number | null) => (x === null ? 'n/a (under 100 parts)' : `${Math.round(x)} ms`);
console.log(`demo line: a part every ${pitchMs} ms a station; ejector one station downstream (deadline = signalAt + ${pitchMs} ms); ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)} at the end`);
console.log('| cameras | parts | fail-safe | latency p50 | latency p99 | slack p50 | slack p1 (worst 1 %) | late |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  // slack was negated into `spread` so its p99 is the worst 1 %: turn it back
  console.log(`| ${r.cameras} | ${r.parts} | ${r.failSafe} | ${ms(r.latency.p50)} | ${ms(r.latency.p99)} | ${ms(-r.slack.p50)} | ${ms(r.slack.p99 === null ? null : -r.slack.p99)} | ${r.late} |`);
}
