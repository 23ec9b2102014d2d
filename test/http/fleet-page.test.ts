/**
 * The fleet page as a person sees it: real Chromium on one service's `/fleet`, two real services (2 cameras each) on
 * one broker (Debian's mosquitto), each announcing its own dashboard in its retained status. The page lists every
 * node, line and camera with its state and rates and links each node's page; a node that stops shows offline.
 */
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { startService, type Service } from '../../src/service.js';
import { tinyModels } from '../setup/tiny-model.js';
import { Mosquitto } from '../support/mosquitto.js';

function config(broker: Mosquitto, node: string, line: string) {
  return parseConfig({
    site: 'fleetpage',
    node,
    cameras: [
      { id: `${node}-white`, line, product: 'bolt', source: 'test:white', fps: 5 },
      { id: `${node}-black`, line, product: 'bolt', source: 'test:black', fps: 5, threshold: 1.5 },
    ],
    model: { path: tinyModels.ok, providers: ['cpu'], threads: 1 },
    mqtt: { url: broker.url, queue: { store: 'memory' }, heatmaps: { enabled: false }, feed: { enabled: false }, statsIntervalSeconds: 1 },
    dashboard: { port: 0 },
    log: { statsIntervalSeconds: 0 },
  });
}

describe('fleet page', () => {
  let broker: Mosquitto;
  let services: Service[];
  let browser: Browser;

  beforeAll(async () => {
    broker = await Mosquitto.start();
    services = await Promise.all([startService(config(broker, 'box-a', 'line-a'), { logger: silentLogger }), startService(config(broker, 'box-b', 'line-b'), { logger: silentLogger })]);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  });
  afterAll(async () => {
    await browser?.close();
    for (const s of services ?? []) await s.stop('test end');
    await broker?.close();
  });

  it('should show both nodes with their lines, cameras, rates and page links, and a stopped node as offline', async () => {
    const page = await browser.newPage();
    await page.goto(`${services[0]!.dashboardUrl!}fleet`);
    const rows = page.locator('#fleet tbody tr');
    // rates come with the stats (every 1 s) once a camera has verdicts: wait until every camera has a reject rate
    await expect.poll(async () => (await rows.evaluateAll((trs) => trs.map((tr) => tr.children[6]!.textContent))).filter((t) => t !== '–').length, { timeout: 20_000 }).toBe(4);
    const table = await rows.evaluateAll((trs) => trs.map((tr) => ({ node: tr.getAttribute('data-node'), camera: tr.getAttribute('data-camera'), state: tr.getAttribute('data-state'), line: tr.children[2]!.textContent, rejectRate: tr.children[6]!.textContent, href: tr.querySelector('a')?.getAttribute('href') })));
    expect(table.map(({ node, camera, state, line }) => [node, line, camera, state])).toEqual([
      ['box-a', 'line-a', 'box-a-black', 'online'],
      ['box-a', 'line-a', 'box-a-white', 'online'],
      ['box-b', 'line-b', 'box-b-black', 'online'],
      ['box-b', 'line-b', 'box-b-white', 'online'],
    ]);
    // the tiny model scores white 1.0: every white frame is a reject (threshold 0.5), no black one (1.5); the rate is
    // made of the status's fps and rejects a minute, each rounded to 2 decimals, so 100 % may read 99.9 %
    const rates = table.map((r) => Number.parseFloat(r.rejectRate!));
    expect([rates[0], rates[2]]).toEqual([0, 0]);
    for (const white of [rates[1]!, rates[3]!]) expect(white).toBeGreaterThanOrEqual(99.5);
    expect(table.map((r) => r.href)).toEqual([services[0]!.dashboardUrl, services[0]!.dashboardUrl, services[1]!.dashboardUrl, services[1]!.dashboardUrl]);
    await expect.poll(() => page.locator('#summary').textContent()).toBe('2 node(s): 2 online, 0 degraded, 0 offline, 0 stale');

    await services[1]!.stop('test: box-b leaves');
    await expect.poll(() => page.locator('#fleet tbody tr[data-node="box-b"]').first().getAttribute('data-state'), { timeout: 10_000 }).toBe('offline');
    expect(await page.locator('#fleet tbody tr[data-node="box-b"] td').nth(9).textContent()).toBe('closed');
    await page.close();
  }, 60_000);
});
