/** The dashboard as a person sees it: real Chromium, the page fed by the real broker over WebSocket. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { startService, type Service } from '../src/service.js';
import { eventFilter, statusTopic } from '../src/sinks/topics.js';
import { fixturesDir, repoRoot } from './setup/paths.js';
import { tinyModels } from './setup/tiny-model.js';

describe('dashboard', () => {
  let service: Service;
  let browser: Browser;

  beforeAll(async () => {
    const cfg = parseConfig({
      site: 'dash',
      node: 'edge-dash',
      cameras: [
        // the tiny model scores white and black 1.0: above bolt's 0.5 (reject), below the override 1.5 (ok)
        { id: 'white', line: 'l1', product: 'bolt', source: 'test:white', fps: 10 },
        { id: 'passing', line: 'l1', product: 'bolt', source: 'test:black', fps: 10, threshold: 1.5 },
      ],
      model: { path: tinyModels.ok, providers: ['cpu'] },
      mqtt: { queue: { store: 'memory' }, heatmaps: { minIntervalMs: 200 } },
      embeddedBroker: { port: 0, wsPort: 0 },
      dashboard: { port: 0 },
    });
    service = await startService(cfg, { logger: silentLogger });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await service?.stop('test end');
  });

  it('shows each camera with its counts, the latest reject heatmap and the node status', async () => {
    expect(service.dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await browser.newPage({ viewport: { width: 900, height: 820 } });
    await page.goto(service.dashboardUrl!);
    await page.locator('.camera[data-camera="white"] img.heatmap:not([hidden])').waitFor({ timeout: 20_000 });
    await page.locator('.camera[data-camera="passing"]').waitFor({ timeout: 20_000 });
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 10_000 }).toBe('online');

    const white = page.locator('.camera[data-camera="white"]');
    expect(Number(await white.locator('.rejects').textContent())).toBeGreaterThan(0);
    expect(await white.locator('.decision').textContent()).toBe('REJECT (anomaly)');
    expect(await page.locator('.camera[data-camera="passing"] .decision').textContent()).toBe('ok');
    expect(await page.locator('.camera[data-camera="passing"] .no-heatmap').isVisible()).toBe(true);
    expect(await page.locator('#rejects tbody tr').count()).toBeGreaterThan(0);
    // the heatmap decoded as an image in the browser, at the frame's size
    // (decoding is asynchronous: a heatmap that just replaced the last one reads 0x0 for a moment)
    await expect.poll(() => white.locator('img.heatmap').evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]), { timeout: 10_000 }).toEqual([64, 64]);
    await page.screenshot({ path: join(fixturesDir, 'dashboard.png') });
  });

  it('hands the page the topic filters built by topics.ts, so the page builds none of its own', async () => {
    const settings = await (await fetch(new URL('settings.json', service.dashboardUrl))).json();
    expect(settings.topics).toEqual({ verdict: eventFilter('uniad/dash', 'verdict'), heatmap: eventFilter('uniad/dash', 'heatmap'), status: statusTopic('uniad/dash', 'edge-dash') });
    const page = readFileSync(join(repoRoot, 'src/sinks/dashboard/app.js'), 'utf8');
    expect(page).not.toMatch(/\/\+\/\+\/|\/status\//);
  });
});
