/**
 * Parts on the dashboard as a person sees them: real Chromium, the page fed by the real broker over WebSocket. A PLC
 * account sends two part triggers; the page shows each part's decision on its camera's card and in the parts table,
 * and the rejected one as the last rejected part with the heatmaps of its frames.
 */
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { startService, type Service } from '../src/service.js';
import { triggerTopic } from '../src/sinks/topics.js';
import { fixturesDir } from './setup/paths.js';
import { tinyModels } from './setup/tiny-model.js';
import { launchChromium } from './support/chromium.js';

describe('parts on the dashboard', () => {
  let service: Service;
  let browser: Browser;

  beforeAll(async () => {
    const cfg = parseConfig({
      site: 'dashparts',
      node: 'edge-parts',
      cameras: [
        // the tiny model scores white 1.0: above bolt's 0.5, a reject; black passes under the override 1.5. Two frames
        // a second of white: the heatmap of every reject, not so many that the image worker skips some under load
        { id: 'white', line: 'l1', product: 'bolt', source: 'test:white', fps: 2, parts: { signal: { kind: 'mqtt' }, frames: 2 } },
        { id: 'passing', line: 'l1', product: 'bolt', source: 'test:black', fps: 10, threshold: 1.5, parts: { signal: { kind: 'mqtt' } } },
      ],
      model: { path: tinyModels.ok, providers: ['cpu'] },
      mqtt: { queue: { store: 'memory' }, heatmaps: { minIntervalMs: 0 }, statsIntervalSeconds: 1 },
      embeddedBroker: {
        port: 0,
        wsPort: 0,
        users: [
          { username: 'svc', password: 'svc-secret', role: 'service' },
          { username: 'view', password: 'view-secret', role: 'viewer' },
          { username: 'line-plc', password: 'plc-secret', role: 'plc' },
        ],
      },
      dashboard: { port: 0 },
      log: { statsIntervalSeconds: 0 },
    });
    service = await startService(cfg, { logger: silentLogger });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await service?.stop('test end');
  });

  it('should show each part and its decision, and the last rejected part with its frames\' heatmaps', async () => {
    const page = await browser.newPage({ viewport: { width: 1180, height: 1200 } });
    await page.goto(service.dashboardUrl!);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 20_000 }).toBe('online');
    await expect.poll(() => page.locator('.camera[data-camera="white"]').count(), { timeout: 20_000 }).toBe(1);

    const plc = await mqtt.connectAsync(service.brokerUrl!, { username: 'line-plc', password: 'plc-secret' });
    await plc.publishAsync(triggerTopic('uniad/dashparts', 'l1', 'white'), '{"partId": "4711"}', { qos: 1 });
    await plc.publishAsync(triggerTopic('uniad/dashparts', 'l1', 'passing'), '{"partId": "4712"}', { qos: 1 });
    await plc.endAsync();

    await expect.poll(() => page.locator('.camera[data-camera="white"] .part').textContent(), { timeout: 20_000 }).toBe('part 4711: REJECT (anomaly)');
    await expect.poll(() => page.locator('.camera[data-camera="passing"] .part').textContent(), { timeout: 20_000 }).toBe('part 4712: pass (ok)');
    const rows = await page.locator('#parts tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(1, 6).map((td) => td.textContent)));
    expect(rows).toEqual(
      expect.arrayContaining([
        ['l1/white', '4711', 'REJECT', 'anomaly', '2'],
        ['l1/passing', '4712', 'pass', 'ok', '1'],
      ]),
    );

    const panel = page.locator('#last-reject-part');
    await panel.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await panel.locator('.id').textContent()).toBe('white:part:4711');
    // both frames of the part are shown; a frame's heatmap is there when the heatmap topic carried it (an image the
    // busy image worker skipped never comes: "no heatmap")
    expect(await panel.locator('.frames figcaption').allTextContents()).toEqual([expect.stringMatching(/^white:[a-z0-9]+:\d+$/), expect.stringMatching(/^white:[a-z0-9]+:\d+$/)]);
    await expect.poll(() => panel.locator('img.part-heatmap').count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    await expect
      .poll(() => panel.locator('img.part-heatmap').evaluateAll((imgs) => imgs.map((i) => [(i as HTMLImageElement).naturalWidth, (i as HTMLImageElement).naturalHeight])), { timeout: 10_000 })
      .toContainEqual([64, 64]);
    await page.screenshot({ path: join(fixturesDir, 'dashboard-parts.png'), fullPage: true });
    await page.close();
  });
});
