/**
 * GenICam cameras in the real service process: Aravis's simulated GigE cameras (test/support/fake-gige.ts), one
 * Bayer camera whose frames the tiny model scores and whose settings the log reads back, one whose config asks for a
 * feature the camera does not have, reported with its code and name and retried while the other goes on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/types.js';
import { startServiceProcess, writeConfig } from '../faults/service-process.js';
import { tinyModels } from '../setup/tiny-model.js';
import { skipReason, startFakeGige, type FakeGige } from '../support/fake-gige.js';
import { subscribe } from '../support/subscriber.js';

const skip = skipReason();

describe.skipIf(skip !== undefined)(`GenICam cameras in the service process${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dir: string;
  let good: FakeGige;
  let bad: FakeGige;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uniad-genicam-'));
    [good, bad] = await Promise.all([startFakeGige(), startFakeGige()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([good?.stop(), bad?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('should score a Bayer camera frame by frame with its settings read back, and report a refused feature by name while it retries', async () => {
    const svc = startServiceProcess(
      writeConfig(dir, 'genicam.yaml', {
        node: 'gige',
        cameras: [
          {
            id: 'gige1',
            line: 'line1',
            product: 'bolt',
            source: `genicam://${good.id}`,
            genicam: { pixelFormat: 'BayerGR8', roi: { x: 64, y: 64, width: 256, height: 256 }, exposureUs: 10_000, gain: 2, frameRate: 10, features: { TestBoolean: true } },
          },
          { id: 'gige2', line: 'line1', product: 'bolt', source: `genicam://${bad.serial}`, genicam: { features: { NoSuchFeature: 3 } } },
        ],
        model: { path: tinyModels.ok, providers: ['cpu'], threads: 1 },
        mqtt: { queue: { store: 'memory' } },
        embeddedBroker: { port: 0, wsPort: 0 },
        dashboard: { enabled: false },
      }),
      dir,
    );
    try {
      const { url } = await svc.waitForLog('embedded broker listening');
      const sub = await subscribe(url as string, ['uniad/site/line1/+/verdict']);
      await sub.waitFor(10, 'verdict', 30_000);
      const refused = await svc.waitForLog('camera pipeline error', 30_000, (l) => l['camera'] === 'gige2');
      await svc.waitForLog('restarting camera capture', 30_000, (l) => l['camera'] === 'gige2');
      const opened = await svc.waitForLog('genicam camera opened, settings read back', 5_000, (l) => l['camera'] === 'gige1');
      const verdicts = sub.json<Verdict>('verdict');
      console.log(`genicam service: ${verdicts.length} verdicts of gige1 (scores ${verdicts.slice(0, 5).map((v) => v.score?.toFixed(3)).join(', ')} …); gige2: ${String(refused['error'])}`);

      expect(verdicts.every((v) => v.camera === 'gige1' && typeof v.score === 'number' && (v.reason === 'ok' || v.reason === 'anomaly'))).toBe(true);
      expect(new Set(verdicts.map((v) => v.id)).size).toBe(verdicts.length);
      // the tiny model scores the most extreme pixel: a black or white frame scores 1, the fake camera's colours less
      expect(verdicts.filter((v) => v.score! >= 0.99)).toEqual([]);
      expect(opened['device']).toMatchObject({ vendor: 'Aravis', model: 'Fake', serial: good.serial });
      expect(opened['settings']).toEqual([
        { feature: 'PixelFormat', value: 'BayerGR8', readBack: 'BayerGR8' },
        { feature: 'region (OffsetX,OffsetY WidthxHeight)', value: '64,64 256x256', readBack: '64,64 256x256' },
        { feature: 'frame rate', value: '10', readBack: '10.0' },
        { feature: 'exposure (µs)', value: '10000', readBack: '10000.0' },
        { feature: 'gain', value: '2', readBack: '2.0' },
        { feature: 'TriggerSelector', value: 'FrameStart', readBack: 'FrameStart' },
        { feature: 'TriggerMode', value: 'Off', readBack: 'Off' },
        { feature: 'TestBoolean', value: 'true', readBack: 'true' },
      ]);
      expect(refused).toMatchObject({
        level: 'error',
        code: 'GENICAM_FEATURE',
        error: `camera gige2: the GenICam camera refuses NoSuchFeature = 3: the camera has no such feature (fix cameras[].genicam for this camera: the feature's name, its range and choices are in the camera's manual or its GenICam XML; the camera is retried with backoff); source genicam://${bad.serial}`,
      });
      await sub.close();
    } finally {
      const exit = await svc.stop();
      expect(exit.code).toBe(0);
    }
  });
});
