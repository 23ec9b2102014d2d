/**
 * `npm run bench:onboarding`: how long onboarding one new product onto a running line takes on this machine — collect,
 * train on every product, shadow, promote (docs/lifecycle.md, "A new product on a running line"). The line of the
 * onboarding test (test/lifecycle/onboarding-line.ts) at the runtime's 224 px and with the shipped offline backbone
 * (MobileNetV2): two products the first model knows, a third collected from its camera while the service runs. Also
 * the old products' held-out AUROC and their good parts' reject rate on the line, before and after (forgetting).
 *
 *   npm run bench:onboarding -- [--images 60] [--epochs 10] [--json FILE]
 *
 * Run it under `nice` on a shared machine: the load average at start and end is printed with the times.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import type { Verdict } from '../src/types.js';
import { startServiceProcess } from '../test/faults/service-process.js';
import { cli, newProductVideo, operator, prefix, readSidecar, videoOfImages, viewer, writeLineConfig, type LineCamera } from '../test/lifecycle/onboarding-line.js';
import { freePort } from '../test/support/free-port.js';
import { subscribe } from '../test/support/subscriber.js';
import { writeDataset } from '../test/training/dataset-fixture.js';

const { values } = parseArgs({ options: { images: { type: 'string', default: '60' }, epochs: { type: 'string', default: '10' }, json: { type: 'string' } } });
const images = Number(values.images);
const epochs = Number(values.epochs);
const size = 224;

const dir = mkdtempSync(join(tmpdir(), 'uniad-bench-onboard-'));
const env = { ...process.env, STATE_DIRECTORY: join(dir, 'cli-state') };
const run = async (...args: string[]) => {
  const r = await cli(dir, env, 3_600_000, ...args);
  if (r.code !== 0) throw new Error(`uniad-edge ${args[0]} failed (${r.code}): ${r.stderr.slice(-2000)}`);
  return r;
};
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const seconds = (ms: number) => Math.round(ms / 100) / 10;
const timed = async <T>(step: () => Promise<T>): Promise<[T, number]> => {
  const start = performance.now();
  const value = await step();
  return [value, seconds(performance.now() - start)];
};

const loadAtStart = load();
console.error(`onboarding benchmark: ${cpus().length} CPUs, load ${loadAtStart}; ${images} good images a product at ${size} px, ${epochs} epochs`);
const data = join(dir, 'dataset');
writeDataset(data, { stripes: { good: images, testGood: 10, testDefective: 10 }, checker: { good: images, testGood: 10, testDefective: 10 } }, size);
const cameras: LineCamera[] = (['checker', 'stripes'] as const).map((product, i) => ({ id: `cam${i + 1}`, product, source: videoOfImages(join(data, product, 'train', 'good'), images, join(dir, `${product}.mkv`)) }));
const station: LineCamera = { id: 'cam3', product: 'bars', source: newProductVideo(2 * images, join(dir, 'bars.mp4')) };
const trainArgs = ['--epochs', String(epochs), '--name', 'line'];

console.error('training the first model (the line as it runs before the new product; not part of the onboarding)');
const [, firstTrain] = await timed(() => run('train', '--data', data, '--out', join(dir, 'v1'), '--version', '1.0.0', ...trainArgs));
const v1 = join(dir, 'v1', 'line.onnx');
const line = { dir, stateDir: join(dir, 'state'), port: await freePort(), model: v1 };
const service = startServiceProcess(writeLineConfig({ ...line, cameras }), dir);
await service.waitForLog('mqtt broker', 60_000);
const sub = await subscribe(`mqtt://127.0.0.1:${line.port}`, [`${prefix}/#`], { username: viewer.username, password: viewer.password });
const verdicts = (shadow: boolean) => sub.messages.filter((m) => m.topic.endsWith('/verdict') && m.topic.endsWith('/shadow/verdict') === shadow).map((m) => JSON.parse(m.payload.toString()) as Verdict);
const first = (what: string, shadow: boolean, ok: (v: Verdict) => boolean) => sub.until(() => verdicts(shadow).some(ok), what, 600_000);
await first('verdicts of 1.0.0', false, (v) => v.model === 'line@1.0.0');

try {
  console.error('collect');
  const [collected, collect] = await timed(() => run('collect', '--data', data, '--source', station.source, '--product', station.product, '--size', `${size}x${size}`, '--count', String(images), '--max-frames', String(2 * images)));
  console.error(collected.stdout.trim());
  console.error('train on all three products');
  const [, train] = await timed(() => run('train', '--data', data, '--out', join(dir, 'v2'), '--version', '1.1.0', ...trainArgs));
  const v2 = join(dir, 'v2', 'line.onnx');

  console.error('shadow');
  const [, shadow] = await timed(async () => {
    writeLineConfig({ ...line, cameras, shadow: v2 });
    process.kill(service.pid, 'SIGHUP');
    await first('a shadow verdict of 1.1.0', true, (v) => v.model === 'line@1.1.0');
  });
  const shadowed = verdicts(true).length;
  await sub.until(() => verdicts(true).length >= shadowed + 200, 'shadow verdicts', 600_000);

  console.error('promote');
  const [, promote] = await timed(async () => {
    const op = await mqtt.connectAsync(`mqtt://127.0.0.1:${line.port}`, { username: operator.username, password: operator.password });
    await op.publishAsync(`${prefix}/model/promote`, JSON.stringify({ requestId: 'bench' }), { qos: 1 });
    await op.endAsync();
    await sub.until(() => sub.on('model/promote/result').length > 0, 'the promotion', 600_000);
    const answer = JSON.parse(sub.on('model/promote/result')[0]!.payload.toString()) as { result: string; reason?: string };
    if (answer.result !== 'accepted') throw new Error(`promotion refused: ${answer.reason}`);
    await first('a verdict of 1.1.0', false, (v) => v.model === 'line@1.1.0');
  });

  console.error('the new station joins the line');
  const [, station3] = await timed(async () => {
    writeLineConfig({ ...line, cameras: [...cameras, station], shadow: v2 });
    process.kill(service.pid, 'SIGHUP');
    await first('a verdict on the new station', false, (v) => v.camera === 'cam3');
  });
  const promoted = verdicts(false).filter((v) => v.model === 'line@1.1.0' && v.camera !== 'cam3').length;
  await sub.until(() => verdicts(false).filter((v) => v.model === 'line@1.1.0' && v.camera !== 'cam3').length >= promoted + 200, 'verdicts of 1.1.0', 600_000);

  const rejectRate = (model: string, onStation = false) => {
    const decided = verdicts(false).filter((v) => v.model === model && (v.camera === 'cam3') === onStation);
    return { decided: decided.length, rejectPercent: Math.round((1000 * decided.filter((v) => v.reject).length) / decided.length) / 10 };
  };
  const [before, after] = [readSidecar(v1), readSidecar(v2)];
  const results = {
    machine: { cpus: cpus().length, loadAtStart, loadAtEnd: load() },
    budget: { imagesPerProduct: images, size, epochs, backbone: 'mobilenet-v2 (shipped offline)' },
    seconds: { firstModel: firstTrain, collect, train, shadow, promote, station: station3, onboarding: seconds((collect + train + shadow + promote) * 1000) },
    collected: collected.stdout.split('\n')[0],
    heldOut: Object.fromEntries(['checker', 'stripes'].map((p) => [p, { before: before.evaluation.heldOut.perClass[p], after: after.evaluation.heldOut.perClass[p] }])),
    thresholds: after.thresholds,
    lineRejects: { before: rejectRate('line@1.0.0'), after: rejectRate('line@1.1.0'), newStation: rejectRate('line@1.1.0', true) },
  };
  console.log(JSON.stringify(results, null, 2));
  if (values.json !== undefined) writeFileSync(values.json, JSON.stringify(results, null, 2));
} finally {
  await sub.close();
  await service.stop();
  rmSync(dir, { recursive: true, force: true });
}
