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

  it('should refuse a model that uniad-edge check refuses (NaN output), keep the old one scoring, and say so on the status until a reload applies', async () => {
    const path = writeConfig(dir, 'nan.yaml', { ...config({}, {}), node: 'reload-nan', stateDir: join(dir, 'state-nan'), mqtt: { queue: { store: 'memory' }, statsIntervalSeconds: 1 } });
    const svc = startServiceProcess(path, dir);
    const { url } = await svc.waitForLog('embedded broker listening');
    const sub = await subscribe(url as string, ['uniad/site/#']);
    try {
      await more(sub, 5, (v) => v.threshold === 0.5);
      const statuses = () => sub.json<{ state: string; causes?: { code: string; message: string }[] }>('status/reload-nan');

      writeConfig(dir, 'nan.yaml', { ...config({}, { path: tinyModels.nan }), node: 'reload-nan', stateDir: join(dir, 'state-nan'), mqtt: { queue: { store: 'memory' }, statsIntervalSeconds: 1 } });
      process.kill(svc.pid, 'SIGHUP');
      const refused = await svc.waitForLog('reload refused, the old model and settings stay: the new model did not load or failed its check', 30_000);
      expect(refused.error).toMatch(/not a finite number on a test frame/);
      await expect.poll(() => statuses().at(-1), { timeout: 20_000 }).toMatchObject({ state: 'degraded', causes: [{ code: 'MODEL_RELOAD_REFUSED', message: expect.stringContaining(tinyModels.nan) }] });
      const seen = verdicts(sub).length;
      await more(sub, seen + 10, () => true);
      // the old model goes on scoring: no part fail-safe rejected for a model nobody checked
      expect(verdicts(sub).filter((v) => v.reason === 'error')).toEqual([]);
      expect(new Set(verdicts(sub).map((v) => v.model))).toEqual(new Set(['tiny@1.0.0']));

      writeConfig(dir, 'nan.yaml', { ...config({ threshold: 1.5 }, {}), node: 'reload-nan', stateDir: join(dir, 'state-nan'), mqtt: { queue: { store: 'memory' }, statsIntervalSeconds: 1 } });
      process.kill(svc.pid, 'SIGHUP');
      await more(sub, 5, (v) => v.threshold === 1.5);
      await expect.poll(() => statuses().at(-1)?.state, { timeout: 20_000 }).toBe('online');
      expect((await svc.stop()).code).toBe(0);
    } finally {
      await sub.close();
      await svc.stop();
    }
  });
});

describe('SIGHUP reload of the cameras and the shadow model (issue 20, items 4 and 21)', () => {
  const camera = (id: string, extra: Record<string, unknown> = {}) => ({ id, line: 'line1', product: 'bolt', source: 'test:white', fps: 20, ...extra });
  const line = (cameras: Record<string, unknown>[], extra: Record<string, unknown> = {}) => ({
    node: 'cams',
    stateDir: join(dir, 'cams-state'),
    cameras,
    model: { path: tinyModels.ok, providers: ['cpu'], batchMaxSize: 4, batchMaxWaitMs: 20 },
    mqtt: { queue: { store: 'memory' } },
    embeddedBroker: { port: 0, wsPort: 0 },
    dashboard: { enabled: false },
    ...extra,
  });

  it('should add and remove cameras without a restart, the other cameras\' ids going on, nothing in flight lost', async () => {
    const path = writeConfig(dir, 'cams.yaml', line([camera('cam1'), camera('cam2')]));
    const svc = startServiceProcess(path, dir);
    const { url } = await svc.waitForLog('embedded broker listening');
    const sub = await subscribe(url as string, ['uniad/site/#']);
    // the live verdicts: the shadow model's (shadow/verdict) carry the same ids
    const live = () => sub.messages.filter((m) => m.topic.endsWith('/verdict') && !m.topic.endsWith('/shadow/verdict')).map((m) => JSON.parse(m.payload.toString()) as Verdict);
    const of = (cam: string) => live().filter((v) => v.camera === cam);
    const atLeast = (cam: string, n: number) => expect.poll(() => of(cam).length, { timeout: 30_000, interval: 50, message: `verdicts of ${cam}` }).toBeGreaterThanOrEqual(n);
    const reloads = () => svc.logs.filter((l) => l.msg === 'settings reloaded');
    await atLeast('cam1', 5);
    await atLeast('cam2', 5);

    writeConfig(dir, 'cams.yaml', line([camera('cam1'), camera('cam3')]));
    process.kill(svc.pid, 'SIGHUP');
    await expect.poll(() => reloads().length, { timeout: 20_000 }).toBe(1);
    expect(reloads()[0]).toMatchObject({ cameras: { added: ['cam3'], removed: ['cam2'], restarted: [] } });
    await atLeast('cam3', 5);
    const cam2 = of('cam2').length;
    await atLeast('cam1', of('cam1').length + 10);
    expect(of('cam2').length).toBe(cam2); // stopped: no verdict after its last frame was decided

    // a capture setting of one camera restarts that camera alone; a shadow section starts the candidate; what a reload
    // cannot apply is named
    writeConfig(dir, 'cams.yaml', line([camera('cam1'), camera('cam3', { watchdogSeconds: 20 })], { shadow: { path: tinyModels.ok, providers: ['cpu'], summarySeconds: 1 }, archive: { maxMegabytes: 64 } }));
    process.kill(svc.pid, 'SIGHUP');
    await expect.poll(() => reloads().length, { timeout: 30_000 }).toBe(2);
    expect(reloads()[1]).toMatchObject({ cameras: { added: [], removed: [], restarted: ['cam3 (watchdogSeconds)'] }, shadow: tinyModels.ok });
    expect(svc.logs.find((l) => l.msg === 'reload: these changes need a restart and are not applied')).toMatchObject({ level: 'warn', fields: ['archive.maxMegabytes'] });
    await atLeast('cam3', of('cam3').length + 5);
    await expect.poll(() => sub.on('shadow/verdict').length, { timeout: 30_000 }).toBeGreaterThan(0);
    const stop = await svc.stop();
    expect(stop.code).toBe(0);

    const all = live();
    expect(new Set(all.map((v) => v.id)).size).toBe(all.length);
    expect(new Set(all.map((v) => v.id.split(':')[1])).size).toBe(1); // one run
    // a subscriber that connects as the service starts may miss a camera's first verdicts, never one after them
    let missedFirst = 0;
    for (const cam of ['cam1', 'cam2', 'cam3']) {
      const seqs = of(cam).map((v) => v.seq).sort((a, b) => a - b);
      expect(seqs, `${cam}: every seq once, none skipped`).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));
      missedFirst += seqs[0]!;
    }
    // cam1 was never restarted: one capture process; cam3 two (added, then restarted for its watchdog)
    const started = svc.logs.filter((l) => l.msg === 'camera capture started').map((l) => l['camera']);
    expect(started.filter((c) => c === 'cam1')).toHaveLength(1);
    expect(started.filter((c) => c === 'cam3')).toHaveLength(2);
    // every frame taken was decided and delivered
    expect(svc.logs.find((l) => l.msg === 'stopped')).toMatchObject({ frames: all.length + missedFirst });
    await sub.close();
  });
});
