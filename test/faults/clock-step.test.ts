/**
 * Item 17 of issue 20: after a −1 h step of the wall clock no heatmap and no feed image went out for the hour; after a
 * +40 d step the whole evidence archive was deleted within 5 s. Edge boxes without an RTC battery see such steps when
 * NTP syncs. The real service process with its wall clock stepped for real inside it (test/support/clock-step.cjs
 * offsets Date; stepping the machine's clock would need root and move every process on it): heatmaps and feed images
 * keep flowing, no frame in flight gets a deadline verdict, and the archive keeps what it had.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/types.js';
import { tinyModels } from '../setup/tiny-model.js';
import { subscribe } from '../support/subscriber.js';
import { startServiceProcess, writeConfig } from './service-process.js';

const dir = mkdtempSync(join(tmpdir(), 'uniad-clock-step-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const preload = fileURLToPath(new URL('../support/clock-step.cjs', import.meta.url));
const offsetFile = join(dir, 'clock-offset');
const day = 86_400_000;

/** Entry folders of the archive, whatever their day. */
const entries = (archive: string) => readdirSync(archive).flatMap((d) => readdirSync(join(archive, d)).map((e) => join(d, e)));

describe('a wall clock stepped under the running service', () => {
  it('should keep sending heatmaps and feed images after a step back of an hour, and keep the archive after a step ahead of 40 days', async () => {
    writeFileSync(offsetFile, '0');
    const stateDir = join(dir, 'state');
    const svc = startServiceProcess(
      writeConfig(dir, 'clock.yaml', {
        node: 'clock',
        stateDir,
        cameras: [{ id: 'cam1', line: 'line1', product: 'bolt', source: 'test:ball', fps: 10 }],
        model: { path: tinyModels.ok, providers: ['cpu'], threads: 1 },
        mqtt: { queue: { store: 'memory' }, heatmaps: { enabled: true, minIntervalMs: 500 }, feed: { enabled: true, maxFps: 2 } },
        archive: { maxAgeDays: 30 },
        embeddedBroker: { port: 0, wsPort: 0 },
        dashboard: { enabled: false },
      }),
      dir,
      { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${preload}`, UNIAD_CLOCK_OFFSET_FILE: offsetFile },
    );
    try {
      const { url } = await svc.waitForLog('embedded broker listening');
      const sub = await subscribe(url as string, ['uniad/site/line1/cam1/#']);
      const count = (kind: string) => sub.on(kind).length;
      const more = async (kind: string, n: number) => {
        const from = count(kind);
        await expect.poll(() => count(kind), { timeout: 15_000, interval: 50 }).toBeGreaterThanOrEqual(from + n);
      };
      await more('heatmap', 3);
      await more('feed', 3);
      const archive = join(stateDir, 'archive');
      const before = entries(archive);
      expect(before.length).toBeGreaterThan(10);

      writeFileSync(offsetFile, String(-3_600_000)); // NTP steps the clock back an hour
      await more('heatmap', 4);
      await more('feed', 4);

      writeFileSync(offsetFile, String(40 * day)); // and ahead 40 days
      await more('heatmap', 4);
      await more('verdict', 30);
      const after = entries(archive);
      expect(before.filter((e) => !after.includes(e))).toEqual([]); // nothing of it deleted

      const stop = await svc.stop();
      expect(stop.code, svc.stderr().slice(-2000)).toBe(0);
      const stopped = svc.logs.find((l) => l.msg === 'stopped')!;
      const reasons = new Set(sub.json<Verdict>('verdict').map((v) => v.reason));
      console.log(`clock steps: ${count('heatmap')} heatmaps, ${count('feed')} feed images, ${count('verdict')} verdicts (${[...reasons].join(', ')}); evidence ${JSON.stringify(stopped['evidence'])}`);
      // no frame in flight across a step was taken for late
      expect(reasons).toEqual(new Set(['anomaly']));
      expect(stopped['evidence']).toMatchObject({ deleted: 0 });
      // the times people read follow the clock: the last verdicts carry the stepped date
      expect(sub.json<Verdict>('verdict').at(-1)!.decidedAt).toBeGreaterThan(Date.now() + 39 * day);
      await sub.close();
    } finally {
      await svc.stop();
    }
  });
});
