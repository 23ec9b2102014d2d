/**
 * SIGHUP on the service process (`uniad-edge run`): the config and thresholds are read again and applied from the
 * next frames without stopping a camera, so a real subscriber sees every frame's id exactly once, seq without a gap;
 * an invalid config or thresholds file keeps the old values; a changed model path swaps the model, which brings its
 * own thresholds. Tiny model: white frames score 1.0.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sidecarPathFor } from '../../src/pipeline/sidecar.js';
import type { Verdict } from '../../src/types.js';
import { startServiceProcess, writeConfig } from '../faults/service-process.js';
import { tinyModels } from '../setup/tiny-model.js';
import { subscribe, type Subscriber } from '../support/subscriber.js';

const dir = mkdtempSync(join(tmpdir(), 'uniad-reload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const v2 = join(dir, 'tiny-v2.onnx');
copyFileSync(tinyModels.ok, v2);
const sidecar = JSON.parse(readFileSync(sidecarPathFor(tinyModels.ok), 'utf8'));
writeFileSync(sidecarPathFor(v2), JSON.stringify({ ...sidecar, version: '2.0.0', thresholds: { bolt: 0.9 } }));

const config = (camera: Record<string, unknown>, model: Record<string, unknown>) => ({
  node: 'reload',
  stateDir: join(dir, 'state'),
  cameras: [{ id: 'cam1', line: 'line1', product: 'bolt', source: 'test:white', fps: 30, ...camera }],
  model: { path: tinyModels.ok, providers: ['cpu'], batchMaxSize: 4, batchMaxWaitMs: 20, ...model },
  mqtt: { queue: { store: 'memory' } },
  embeddedBroker: { port: 0, wsPort: 0 },
  dashboard: { enabled: false },
});

const verdicts = (sub: Subscriber) => sub.json<Verdict>('verdict');
async function more(sub: Subscriber, n: number, match: (v: Verdict) => boolean): Promise<void> {
  await expect.poll(() => verdicts(sub).filter(match).length, { timeout: 20_000, interval: 50 }).toBeGreaterThanOrEqual(n);
}

describe('SIGHUP reload', () => {
  it('should apply a new threshold, refuse an invalid file, swap a changed model with its thresholds, and lose or repeat no frame', async () => {
    const path = writeConfig(dir, 'line.yaml', config({}, {}));
    const svc = startServiceProcess(path, dir);
    const { url } = await svc.waitForLog('embedded broker listening');
    const sub = await subscribe(url as string, ['uniad/site/#']);
    await more(sub, 5, (v) => v.threshold === 0.5);
    const reloaded = (n: number) => expect.poll(() => svc.logs.filter((l) => l.msg === 'settings reloaded').length, { timeout: 20_000 }).toBe(n);

    writeConfig(dir, 'line.yaml', config({ threshold: 1.5 }, {}));
    process.kill(svc.pid, 'SIGHUP');
    await reloaded(1);
    await more(sub, 5, (v) => v.threshold === 1.5);

    writeConfig(dir, 'line.yaml', config({ threshold: 3 }, { thresholdsFile: join(dir, 'missing.json') }));
    process.kill(svc.pid, 'SIGHUP');
    await expect.poll(() => svc.logs.find((l) => l.msg === 'reload refused, old settings kept'), { timeout: 20_000 }).toMatchObject({ error: expect.stringMatching(/missing\.json.*not found/) });
    writeFileSync(path, 'cameras: [');
    process.kill(svc.pid, 'SIGHUP');
    await expect.poll(() => svc.logs.find((l) => l.msg === 'reload refused, old settings kept: the config is invalid'), { timeout: 20_000 }).toBeDefined();
    const seen = verdicts(sub).length;
    await more(sub, seen + 5, () => true);
    expect(verdicts(sub).slice(seen).every((v) => v.threshold === 1.5)).toBe(true);

    writeConfig(dir, 'line.yaml', config({}, { path: v2 }));
    process.kill(svc.pid, 'SIGHUP');
    await reloaded(2);
    await more(sub, 5, (v) => v.model === 'tiny@2.0.0');
    const stop = await svc.stop();
    expect(stop.code).toBe(0);

    const all = verdicts(sub);
    // model and threshold belong together, before and after the swap
    for (const v of all) expect([`tiny@1.0.0 0.5`, `tiny@1.0.0 1.5`, `tiny@2.0.0 0.9`]).toContain(`${v.model} ${v.threshold}`);
    const ids = new Set(all.map((v) => v.id));
    expect(ids.size).toBe(all.length);
    const seqs = all.map((v) => v.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i));
    expect(new Set(all.map((v) => v.id.split(':')[1])).size).toBe(1); // one run: no restart hid in the reloads
    await sub.close();
  });
});
