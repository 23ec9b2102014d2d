/**
 * The dashboard as a person sees it: real Chromium, the page fed by the real broker over WebSocket, with broker
 * authentication on (the page uses the read-only viewer account) and everything bound to all interfaces.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
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
  let pageUrl: string;

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
      mqtt: { queue: { store: 'memory' }, heatmaps: { minIntervalMs: 200 }, statsIntervalSeconds: 1 },
      embeddedBroker: {
        host: '0.0.0.0',
        port: 0,
        wsPort: 0,
        username: 'svc',
        password: 'svc-secret',
        users: [{ username: 'view', password: 'view-secret', role: 'viewer' }],
        allowAnonymous: false,
      },
      dashboard: { host: '0.0.0.0', port: 0, chartSeconds: 60 },
      log: { statsIntervalSeconds: 0 },
    });
    service = await startService(cfg, { logger: silentLogger });
    // Bound to all interfaces: a browser reaches it at one of the box's addresses, here loopback.
    pageUrl = `http://127.0.0.1:${new URL(service.dashboardUrl!).port}/`;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await service?.stop('test end');
  });

  const chart = (page: Page, camera: string) => page.locator(`.camera[data-camera="${camera}"] canvas.chart`);
  const points = async (page: Page, camera: string) => Number(await chart(page, camera).getAttribute('data-points'));

  it('should never tell the browser ws://0.0.0.0, and give it the viewer credential', async () => {
    const settings = (await (await fetch(new URL('settings.json', pageUrl))).json()) as Record<string, unknown>;
    expect(settings).toMatchObject({ wildcardHost: true, username: 'view', password: 'view-secret' });
  });

  it('should show the score chart moving, a reject appearing, the live feed and counts from the service', async () => {
    const page = await browser.newPage({ viewport: { width: 1180, height: 900 } });
    const socketUrls: string[] = [];
    page.on('websocket', (ws) => socketUrls.push(ws.url()));
    await page.goto(pageUrl);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 20_000 }).toBe('online');
    expect(socketUrls.every((u) => u.startsWith('ws://127.0.0.1:'))).toBe(true);

    // The chart moves: more points, and different pixels, a moment later.
    await expect.poll(() => points(page, 'passing'), { timeout: 20_000 }).toBeGreaterThan(0);
    const before = { n: await points(page, 'passing'), pixels: await chart(page, 'passing').evaluate((c: HTMLCanvasElement) => c.toDataURL()) };
    await expect.poll(() => points(page, 'passing'), { timeout: 20_000 }).toBeGreaterThan(before.n);
    await expect.poll(() => chart(page, 'passing').evaluate((c: HTMLCanvasElement) => c.toDataURL()), { timeout: 20_000 }).not.toBe(before.pixels);

    // A reject appears: a red point on the white camera's chart, its row in the table, its heatmap.
    await expect.poll(async () => Number(await chart(page, 'white').getAttribute('data-rejects')), { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.locator('#rejects tbody tr').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await page.locator('#rejects tbody tr').first().locator('td').nth(1).textContent()).toBe('l1/white');
    // score 1.0 against bolt's 0.5: twice the threshold, on the scale every product shares
    expect(await page.locator('#rejects tbody tr').first().locator('td').nth(6).textContent()).toBe('2.00');
    expect(await page.locator('.camera[data-camera="white"] .normalized').textContent()).toBe('2.00');
    await page.locator('.camera[data-camera="white"] img.heatmap:not([hidden])').waitFor({ timeout: 20_000 });
    expect(await page.locator('.camera[data-camera="passing"] .decision').textContent()).toBe('ok');

    // The live feed decodes as an image (the 64x64 model input: smaller than the feed width, so not scaled).
    await page.locator('.camera[data-camera="passing"] img.feed:not([hidden])').waitFor({ timeout: 20_000 });
    // (decoding is asynchronous: a picture that just replaced the last one reads 0x0 for a moment)
    await expect
      .poll(() => page.locator('.camera[data-camera="passing"] img.feed').evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]), { timeout: 10_000 })
      .toEqual([64, 64]);

    // Counts and rates come from the service's status, so they are there (and right) after a reload too.
    await expect.poll(async () => Number(await page.locator('.camera[data-camera="white"] .rejects').textContent()), { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(async () => Number(await page.locator('.camera[data-camera="passing"] .fps').textContent()), { timeout: 20_000 }).toBeGreaterThan(0);
    await page.screenshot({ path: join(fixturesDir, 'dashboard.png') });

    await page.reload();
    // History from the service: the chart starts with the recent past, before the first live message is drawn.
    await expect.poll(() => points(page, 'passing'), { timeout: 10_000 }).toBeGreaterThanOrEqual(before.n);
    await expect.poll(async () => Number(await page.locator('.camera[data-camera="white"] .total').textContent()), { timeout: 20_000 }).toBeGreaterThan(0);
    await page.close();
  });

  it('should hand the page the topic filters built by topics.ts, so the page builds none of its own', async () => {
    const settings = (await (await fetch(new URL('settings.json', pageUrl))).json()) as { topics: unknown };
    expect(settings.topics).toEqual({
      verdict: eventFilter('uniad/dash', 'verdict'),
      heatmap: eventFilter('uniad/dash', 'heatmap'),
      feed: eventFilter('uniad/dash', 'feed'),
      status: statusTopic('uniad/dash', 'edge-dash'),
    });
    const page = readFileSync(join(repoRoot, 'src/sinks/dashboard/app.js'), 'utf8');
    expect(page).not.toMatch(/\/\+\/\+\/|\/status\//);
  });
});
