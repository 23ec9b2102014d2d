/**
 * The dashboard as a person sees it: real Chromium, the page fed by the real embedded broker through the service's
 * MQTT relay, the service bound to all interfaces (so a login is required), with the broker's viewer and operator
 * accounts. The browser runs in another time zone and in en-US (a 12-hour locale): the page's times must be the
 * service's zone, on a 24-hour clock.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { parseConfig } from '../src/config.js';
import { findEvidence } from '../src/evidence/archive.js';
import { pageFiles } from '../src/http/page-files.js';
import { silentLogger } from '../src/log.js';
import { startService, type Service } from '../src/service.js';
import { eventFilter, statusTopic, thresholdTopic } from '../src/sinks/topics.js';
import { fixturesDir, repoRoot } from './setup/paths.js';
import { tinyModels } from './setup/tiny-model.js';
import { launchChromium } from './support/chromium.js';
import { startRtspServer, type RtspServer } from './support/rtsp.js';
import { subscribe, type Subscriber } from './support/subscriber.js';

const passwords = { svc: 'svc-secret', view: 'view-secret', op: 'op-secret' };

/**
 * A fixed-offset zone in which it is now between 15:00 and 16:00 (Etc/GMT-N is UTC+N): a time there read on a
 * 12-hour clock would say 3, so a page that showed one would fail.
 */
function afternoonZone(now = new Date()): { name: string; hours: number } {
  const hours = ((15 - now.getUTCHours() + 36) % 24) - 12;
  return { name: hours === 0 ? 'Etc/GMT' : `Etc/GMT${hours > 0 ? '-' : '+'}${Math.abs(hours)}`, hours };
}

/** hh:mm:ss of `t` in a zone `hours` ahead of UTC, worked out without Intl. */
const clockAt = (t: number, hours: number) => new Date(t + hours * 3_600_000).toISOString().slice(11, 19);

describe('dashboard', () => {
  let service: Service;
  let browser: Browser;
  let pageUrl: string;
  let rtsp: RtspServer | undefined;
  let dir: string;
  let watcher: Subscriber;
  const zone = afternoonZone();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uniad-dashboard-'));
    // two minutes of a 10 fps camera: it runs until the test kills its server
    const video = join(dir, 'camera.mp4');
    execFileSync('gst-launch-1.0', ['-q', 'videotestsrc', 'num-buffers=1200', 'pattern=ball', '!', 'video/x-raw,width=160,height=120,framerate=10/1', '!', 'x264enc', 'speed-preset=ultrafast', '!', 'h264parse', '!', 'mp4mux', '!', 'filesink', `location=${video}`]);
    rtsp = await startRtspServer(video);
    const cfg = parseConfig({
      site: 'dash',
      node: 'edge-dash',
      stateDir: join(dir, 'state'),
      cameras: [
        // the tiny model scores white and black 1.0: above bolt's 0.5 (reject), below the override 1.5 (ok)
        { id: 'white', line: 'l1', product: 'bolt', source: 'test:white', fps: 10 },
        { id: 'passing', line: 'l1', product: 'bolt', source: 'test:black', fps: 10, threshold: 1.5 },
        { id: 'doomed', line: 'l2', product: 'bolt', source: rtsp.url, fps: 10 },
      ],
      model: { path: tinyModels.ok, providers: ['cpu'] },
      mqtt: { queue: { store: 'memory' }, heatmaps: { minIntervalMs: 200 }, statsIntervalSeconds: 1 },
      embeddedBroker: {
        host: '0.0.0.0',
        port: 0,
        wsPort: 0,
        username: 'svc',
        password: passwords.svc,
        users: [
          { username: 'view', password: passwords.view, role: 'viewer' },
          { username: 'op', password: passwords.op, role: 'operator' },
        ],
        allowAnonymous: false,
      },
      dashboard: { host: '0.0.0.0', port: 0, chartSeconds: 60, timeZone: zone.name },
      log: { statsIntervalSeconds: 0 },
    });
    service = await startService(cfg, { logger: silentLogger });
    // Bound to all interfaces: a browser reaches it at one of the box's addresses, here loopback.
    pageUrl = `http://127.0.0.1:${new URL(service.dashboardUrl!).port}/`;
    watcher = await subscribe(service.brokerUrl!.replace('0.0.0.0', '127.0.0.1'), [thresholdTopic('uniad/dash', 'l1', 'passing')], { username: 'view', password: passwords.view });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await watcher?.close();
    await service?.stop('test end');
    await rtsp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A browser of its own (cookies), in a 12-hour locale and a zone other than the service's; closed after its test. */
  const contexts: BrowserContext[] = [];
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
  });
  async function context(): Promise<BrowserContext> {
    const ctx = await browser.newContext({ viewport: { width: 1180, height: 900 }, locale: 'en-US', timezoneId: 'America/New_York' });
    contexts.push(ctx);
    return ctx;
  }

  async function logIn(ctx: BrowserContext, user: keyof typeof passwords, password = passwords[user]): Promise<Page> {
    const page = await ctx.newPage();
    await page.goto(pageUrl);
    await page.fill('input[name=username]', user);
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
    return page;
  }

  /** The session cookie of a login by HTTP, or the status of the refusal. */
  async function cookieOf(user: string, password: string): Promise<{ status: number; cookie?: string }> {
    const res = await fetch(new URL('login', pageUrl), { method: 'POST', body: new URLSearchParams({ username: user, password }), redirect: 'manual' });
    return { status: res.status, cookie: res.headers.get('set-cookie')?.split(';')[0] };
  }

  const card = (page: Page, camera: string) => page.locator(`.camera[data-camera="${camera}"]`);
  const chart = (page: Page, camera: string) => card(page, camera).locator('svg.chart');
  const points = async (page: Page, camera: string) => Number(await chart(page, camera).getAttribute('data-points'));

  it('should refuse every route but the login to a client without a login, and hand it no password anywhere', async () => {
    const paths = [...Object.keys(pageFiles()), '/settings.json', '/history.json', '/last-rejects.json', '/last-reject.png?line=l1&camera=white', '/login', '/mqtt', '/metrics', '/healthz', '/readyz', '/nothing'];
    const open = ['/login', '/style.css', '/metrics', '/healthz', '/readyz'];
    for (const path of paths) {
      const res = await fetch(new URL(path.slice(1), pageUrl), { redirect: 'manual' });
      const body = await res.text();
      for (const secret of Object.values(passwords)) expect(body, path).not.toContain(secret);
      // /readyz may say 503 (a camera still starting): it answers all the same
      if (open.includes(path)) expect([200, 503], path).toContain(res.status);
      else expect([303, 401, 404], path).toContain(res.status);
    }
    const settings = await fetch(new URL('settings.json', pageUrl));
    expect(settings.status).toBe(401);
    expect(await settings.json()).toEqual({ error: 'log in first', login: 'login' });
    // the page itself sends the browser to the login form
    const root = await fetch(pageUrl, { redirect: 'manual' });
    expect([root.status, root.headers.get('location')]).toEqual([303, 'login']);
    // a wrong password: refused, no cookie, no password in the answer
    const wrong = await fetch(new URL('login', pageUrl), { method: 'POST', body: new URLSearchParams({ username: 'op', password: 'guess' }), redirect: 'manual' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).not.toContain(passwords.op);
  });

  it('should refuse the MQTT relay without a login, and from another site', async () => {
    const upgrade = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`${pageUrl.replace('http', 'ws')}mqtt`, 'mqtt', { headers });
        ws.once('unexpected-response', (_req, res) => (ws.terminate(), resolve(res.statusCode!)));
        ws.once('open', () => (ws.terminate(), resolve(101)));
        ws.once('error', reject);
      });
    expect(await upgrade({})).toBe(401);
    const { cookie } = await cookieOf('view', passwords.view);
    expect(await upgrade({ cookie: cookie!, origin: 'http://evil.example' })).toBe(403);
    expect(await upgrade({ cookie: cookie! })).toBe(101);
  });

  it('should log in: a wrong password refused, a viewer without controls, settings with no password', async () => {
    const ctx = await context();
    const page = await logIn(ctx, 'view', 'not-it');
    await expect.poll(() => page.locator('.message').textContent()).toBe('Wrong user name or password.');
    expect(page.url()).toBe(`${pageUrl}login`);
    expect(await ctx.cookies()).toEqual([]);

    await page.fill('input[name=username]', 'view');
    await page.fill('input[name=password]', passwords.view);
    await page.click('button[type=submit]');
    await expect.poll(() => page.locator('#user').textContent(), { timeout: 20_000 }).toBe('view (viewer)');
    const [cookie] = await ctx.cookies();
    expect(cookie).toMatchObject({ name: 'uniad_session', httpOnly: true, sameSite: 'Strict' });
    expect(cookie!.expires).toBeGreaterThan(Date.now() / 1000);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 20_000 }).toBe('online');
    await expect.poll(() => points(page, 'white'), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await page.locator('.threshold-form, .recipe-form').count()).toBe(0);

    const settings = await page.evaluate(async () => (await fetch('settings.json')).text());
    for (const secret of Object.values(passwords)) expect(settings).not.toContain(secret);
    expect(JSON.parse(settings)).toMatchObject({ user: 'view', role: 'viewer', controls: false, mqttPath: 'mqtt' });
    expect(JSON.parse(settings).cameras[0]).not.toHaveProperty('thresholdSetTopic');

    // logging out ends the session: the page's settings are refused again
    await page.click('#logout button');
    await page.waitForURL(`${pageUrl}login`);
    expect(await page.evaluate(async () => (await fetch('settings.json')).status)).toBe(401);
  });

  it('should show the score chart moving with axes, values and the threshold, a reject, the live feed and counts from the service', async () => {
    const ctx = await context();
    const page = await logIn(ctx, 'view');
    const socketUrls: string[] = [];
    page.on('websocket', (ws) => socketUrls.push(ws.url()));
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 20_000 }).toBe('online');
    // the relay on the page's own origin: no broker port, no 0.0.0.0
    expect(socketUrls).toEqual([`${pageUrl.replace('http', 'ws')}mqtt`]);

    // The chart moves: more points, and another drawing, a moment later.
    await expect.poll(() => points(page, 'passing'), { timeout: 20_000 }).toBeGreaterThan(0);
    const before = { n: await points(page, 'passing'), drawing: await chart(page, 'passing').innerHTML() };
    await expect.poll(() => points(page, 'passing'), { timeout: 20_000 }).toBeGreaterThan(before.n);
    await expect.poll(() => chart(page, 'passing').innerHTML(), { timeout: 20_000 }).not.toBe(before.drawing);

    // The y axis: values from 0 up, on the score's scale, covering the scores (1.0) and the threshold, which is labelled.
    const yLabels = (await chart(page, 'white').locator('.y-axis text.tick').allTextContents()).map(Number);
    expect(yLabels.length).toBeGreaterThanOrEqual(3);
    expect(yLabels[0]).toBe(0);
    for (let i = 1; i < yLabels.length; i++) expect(yLabels[i]).toBeGreaterThan(yLabels[i - 1]!);
    expect(yLabels.at(-1)).toBeGreaterThanOrEqual(1);
    expect(yLabels.at(-1)).toBeLessThanOrEqual(2);
    expect(await chart(page, 'white').locator('text.threshold-label').textContent()).toBe('threshold 0.5');
    expect(await chart(page, 'passing').locator('text.threshold-label').textContent()).toBe('threshold 1.5');
    // The x axis: clock times of the last minute in the service's zone, 24-hour, in order.
    const xTicks = await chart(page, 'white').locator('.x-axis text.tick').evaluateAll((ts) => ts.map((t) => ({ text: t.textContent, t: Number(t.getAttribute('data-t')) })));
    expect(xTicks.length).toBeGreaterThanOrEqual(3);
    for (const tick of xTicks) expect(tick.text).toBe(clockAt(tick.t, zone.hours));
    for (let i = 1; i < xTicks.length; i++) expect(xTicks[i]!.t).toBeGreaterThan(xTicks[i - 1]!.t);
    expect(xTicks.at(-1)!.t - xTicks[0]!.t).toBeLessThanOrEqual(60_000);
    expect(Math.abs(xTicks.at(-1)!.t - Date.now())).toBeLessThan(30_000);
    expect(await page.locator('#zone').textContent()).toBe(`times: ${zone.name} (UTC${zone.hours < 0 ? '-' : '+'}${String(Math.abs(zone.hours)).padStart(2, '0')}:00), 24 h`);

    // A reject appears: a red point on the white camera's chart, its row in the table (24-hour time), its heatmap.
    await expect.poll(async () => Number(await chart(page, 'white').getAttribute('data-rejects')), { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.locator('#rejects tbody tr').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    const row = page.locator('#rejects tbody tr').first().locator('td');
    expect(await row.nth(1).textContent()).toMatch(/^l[12]\/(white|doomed)$/);
    const rowTime = (await page.locator('#rejects tbody tr td:first-child').allTextContents()).at(0)!;
    expect(rowTime).toMatch(/^(1[5-9]|2\d):[0-5]\d:[0-5]\d$/);
    // score 1.0 against bolt's 0.5: twice the threshold, on the scale every product shares
    expect(await page.locator('#rejects tbody tr', { hasText: 'l1/white' }).first().locator('td').nth(6).textContent()).toBe('2.00');
    expect(await card(page, 'white').locator('.normalized').textContent()).toBe('2.00');
    await card(page, 'white').locator('img.heatmap:not([hidden])').waitFor({ timeout: 20_000 });
    expect(await card(page, 'white').locator('.last-reject').textContent()).toMatch(/^REJECT anomaly · (1[5-9]|2\d):[0-5]\d:[0-5]\d · 1\.0000 \/ 0\.5000$/);
    expect(await card(page, 'passing').locator('.decision').textContent()).toBe('ok');

    // The live feed decodes as an image (the 64x64 model input: smaller than the feed width, so not scaled).
    await card(page, 'passing').locator('img.feed:not([hidden])').waitFor({ timeout: 20_000 });
    // (decoding is asynchronous: a picture that just replaced the last one reads 0x0 for a moment)
    await expect.poll(() => card(page, 'passing').locator('img.feed').evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]), { timeout: 10_000 }).toEqual([64, 64]);

    // Counts and rates come from the service's status, so they are there (and right) after a reload too.
    await expect.poll(async () => Number(await card(page, 'white').locator('.rejects').textContent()), { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(async () => Number(await card(page, 'passing').locator('.fps').textContent()), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await page.locator('#alarms').isHidden()).toBe(true);
    await page.screenshot({ path: join(fixturesDir, 'dashboard.png') });

    // History from the service: after a reload with no live message at all, the chart shows the recent past.
    const live = await points(page, 'passing');
    await page.routeWebSocket('**/mqtt', (ws) => ws.close());
    await page.reload();
    await expect.poll(() => points(page, 'passing'), { timeout: 10_000 }).toBeGreaterThan(live / 2);
    expect((await chart(page, 'passing').locator('.y-axis text.tick').allTextContents()).length).toBeGreaterThanOrEqual(3);
  });

  it('should restore the last reject (picture and verdict) and the rejects table after a reload, from the service alone', async () => {
    const ctx = await context();
    const page = await logIn(ctx, 'view');
    await expect.poll(() => page.locator('#rejects tbody tr').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    // No live message at all after the reload: what the page shows comes from the service's HTTP routes.
    await page.routeWebSocket('**/mqtt', (ws) => ws.close());
    await page.reload();
    const heatmap = card(page, 'white').locator('img.heatmap');
    await heatmap.and(page.locator(':not([hidden])')).waitFor({ timeout: 10_000 });
    expect(await heatmap.getAttribute('src')).toMatch(/^last-reject\.png\?line=l1&camera=white&id=white%3A/);
    await expect.poll(() => heatmap.evaluate((img: HTMLImageElement) => img.naturalWidth), { timeout: 10_000 }).toBe(64);
    expect(await card(page, 'white').locator('.no-heatmap').isVisible()).toBe(false);
    expect(await card(page, 'white').locator('.last-reject').textContent()).toMatch(/^REJECT anomaly · (1[5-9]|2\d):[0-5]\d:[0-5]\d · 1\.0000 \/ 0\.5000$/);
    expect(await page.locator('#rejects tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#rejects tbody tr td:first-child').first().textContent()).toMatch(/^(1[5-9]|2\d):[0-5]\d:[0-5]\d$/);
  });

  it('should let an operator change a threshold from the page, and the service apply it', async () => {
    const ctx = await context();
    const page = await logIn(ctx, 'op');
    await expect.poll(() => page.locator('#user').textContent(), { timeout: 20_000 }).toBe('op (operator)');
    const form = card(page, 'passing').locator('.threshold-form');
    await form.locator('input').fill('2.5');
    await form.locator('button').click();
    await expect.poll(() => form.locator('.result').textContent(), { timeout: 10_000 }).toMatch(/^applied: threshold 2\.5 on passing \(bolt\), by op at \d{2}:\d{2}:\d{2}$/);
    // The retained echo says so to every subscriber, with the user the broker authenticated; verdicts use it.
    await expect.poll(() => watcher.json('threshold').at(-1), { timeout: 10_000 }).toMatchObject({ camera: 'passing', threshold: 2.5, origin: 'live', by: 'op' });
    await expect.poll(() => card(page, 'passing').locator('.threshold').textContent(), { timeout: 10_000 }).toBe('2.5000');
    expect(await card(page, 'passing').locator('.in-force').textContent()).toBe('threshold in force 2.5 (live, set by op)');
    // a value the service refuses: the page shows the service's answer, with the reason
    await form.locator('input').fill('0');
    await form.locator('button').click();
    await expect.poll(() => form.locator('.result').textContent(), { timeout: 10_000 }).toMatch(/^refused: .*threshold/);
    expect(watcher.json('threshold').at(-1)).toMatchObject({ threshold: 2.5 });
  });

  it("should let an operator mark a reject a false reject from the page, its frame joining the product's good images", async () => {
    const ctx = await context();
    const page = await logIn(ctx, 'op');
    await expect.poll(() => page.locator('#user').textContent(), { timeout: 20_000 }).toBe('op (operator)');
    // a reject a second old: the archive has written its frame
    const row = page.locator('#rejects tbody tr').nth(9);
    await row.waitFor({ timeout: 20_000 });
    // as an operator does, the pointer goes to the table first: newer rejects wait, the row stays under it
    await page.locator('#rejects thead').hover();
    const id = (await row.getAttribute('data-id'))!;
    const mine = page.locator(`#rejects tbody tr[data-id="${id}"]`);
    const good = join(dir, 'state/dataset/bolt/train/good/0001.png');
    // the button asks first, naming the reject; a cancelled one sends nothing
    const other = page.locator(`#rejects tbody tr[data-id="${(await page.locator('#rejects tbody tr').nth(10).getAttribute('data-id'))!}"]`);
    await other.locator('button.false-reject').click();
    expect(await other.getAttribute('data-confirming')).toBe('');
    await other.locator('button.cancel-false-reject').click();
    expect(await other.locator('button.false-reject').isVisible()).toBe(true);
    expect(await other.getAttribute('data-confirming')).toBeNull();
    await mine.locator('button.false-reject').click();
    const [lineCamera, seq] = await Promise.all([mine.locator('td').nth(1).textContent(), mine.locator('td').nth(3).textContent()]);
    expect(await mine.locator('.confirm-what').textContent()).toMatch(new RegExp(`^${lineCamera} #${seq}, score \\d+\\.\\d{4}: a good part\\? $`));
    expect(existsSync(join(dir, 'state/dataset/feedback.jsonl'))).toBe(false);
    await mine.locator('button.confirm-false-reject').click();
    await expect.poll(() => mine.locator('.result').textContent(), { timeout: 10_000 }).toBe(`in the dataset: ${good}, by op`);
    expect(await mine.locator('button.false-reject').isDisabled()).toBe(true);
    expect(readFileSync(good)).toEqual(readFileSync(join(findEvidence(join(dir, 'state/archive'), id)!, 'frame.png')));
    expect(JSON.parse(readFileSync(join(dir, 'state/dataset/feedback.jsonl'), 'utf8'))).toMatchObject({ by: 'op', verified: true, verdictId: id, kind: 'false-reject', file: good });
    // while the pointer is on the table (it clicked there), newer rejects wait: the rows stay where they are
    const held = async () => Number((await page.locator('#rejects-held').textContent())!.match(/^(\d+) newer rejects? waits?: the table holds still while you point at it or confirm a false reject$/)?.[1] ?? 0);
    const rows = () => page.locator('#rejects tbody tr').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset['id']));
    await expect.poll(held, { timeout: 10_000 }).toBeGreaterThan(0);
    const rowsWhileHeld = await rows();
    const heldThen = await held();
    await expect.poll(held, { timeout: 10_000 }).toBeGreaterThan(heldThen);
    expect(await rows()).toEqual(rowsWhileHeld);
    expect(rowsWhileHeld).toContain(id);
    // the pointer leaves: they come in, pushing the others out, and the marked row stays with the service's answer
    await page.mouse.move(0, 0);
    await expect.poll(() => page.locator('#rejects-held').textContent(), { timeout: 10_000 }).toBe('');
    await expect.poll(() => page.locator('#rejects tbody tr').first().getAttribute('data-id'), { timeout: 10_000 }).not.toBe(rowsWhileHeld[0]);
    await expect.poll(() => page.locator('#rejects tbody tr').count(), { timeout: 10_000 }).toBe(20);
    expect(await mine.count()).toBe(1);
  });

  it('should give a viewer no feedback button in the rejects table', async () => {
    const ctx = await context();
    const page = await logIn(ctx, 'view');
    await expect.poll(() => page.locator('#rejects tbody tr').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await page.locator('#rejects button.false-reject').count()).toBe(0);
    expect(await page.locator('#rejects thead th').allTextContents()).not.toContain('operator');
  });

  it("should refuse a viewer's threshold change at the server, whatever the page shows", async () => {
    const { status, cookie } = await cookieOf('view', passwords.view);
    expect(status).toBe(303);
    const client = await mqtt.connectAsync(pageUrl.replace('http', 'ws') + 'mqtt', { protocolVersion: 4, reconnectPeriod: 0, wsOptions: { headers: { cookie: cookie! } } });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await client.subscribeAsync(thresholdTopic('uniad/dash', 'l1', 'passing'));
    client.publish('uniad/dash/l1/passing/threshold/set', JSON.stringify({ threshold: 9 }), { qos: 1 });
    await closed;
    client.end(true);
    // nothing changed: the last echo is still the operator's
    await new Promise((r) => setTimeout(r, 500));
    expect(watcher.json('threshold').at(-1)).toMatchObject({ threshold: 2.5, by: 'op' });
  });

  it('should show a camera whose source died as an alarm on its card and in the header, with since when', async () => {
    const ctx = await context();
    const page = await logIn(ctx, 'view');
    // live verdicts of the camera on this page (the score is set by live verdicts only), and no alarm
    await expect.poll(() => card(page, 'doomed').locator('.score').textContent(), { timeout: 20_000 }).not.toBe('—');
    await expect.poll(() => card(page, 'doomed').getAttribute('class'), { timeout: 10_000 }).toBe('camera');
    await rtsp!.stop();
    rtsp = undefined;
    await expect.poll(() => card(page, 'doomed').getAttribute('class'), { timeout: 15_000 }).toBe('camera alarm');
    expect(await card(page, 'doomed').locator('.camera-alarms li').first().textContent()).toMatch(/^NO_FRAMES: no frame for more than 2\.0 s — since (1[5-9]|2\d):[0-5]\d:[0-5]\d \(\d+ s\)$/);
    expect(await card(page, 'doomed').locator('.no-feed').textContent()).toBe('NO FRAMES');
    expect(await page.locator('#alarms li').allTextContents()).toContainEqual(expect.stringMatching(/^l2\/doomed: NO_FRAMES: /));
    // the header is red, not green, whatever the service's state says
    expect(await page.locator('#status').getAttribute('class')).toBe('badge alarm');
    expect(await page.locator('#alarms').evaluate((e) => getComputedStyle(e).backgroundColor)).toBe('rgb(179, 38, 30)');
    // the other cameras are fine (a stall of the whole box could flash theirs too: it passes with their next verdict)
    await expect.poll(() => card(page, 'white').locator('.camera-alarms li').allTextContents(), { timeout: 10_000 }).toEqual([]);
  });

  it("should let an operator change a line's recipe from the page, among the model's products", async () => {
    const ctx = await context();
    const page = await logIn(ctx, 'op');
    const form = page.locator('#line-controls .recipe-form[data-line="l2"]');
    await form.waitFor({ timeout: 20_000 });
    expect(await form.locator('option').allTextContents()).toEqual(['bolt', 'nut']);
    await form.locator('select').selectOption('nut');
    await form.locator('button').click();
    await expect.poll(() => form.locator('.result').textContent(), { timeout: 10_000 }).toMatch(/^applied: line l2 inspects nut, by op at \d{2}:\d{2}:\d{2}$/);
    // line l1 keeps its product
    expect(await card(page, 'white').locator('.product').textContent()).toBe('bolt');
  });

  it('should hand the page the topic filters built by topics.ts, so the page builds none of its own', async () => {
    const { cookie } = await cookieOf('view', passwords.view);
    const settings = (await (await fetch(new URL('settings.json', pageUrl), { headers: { cookie: cookie! } })).json()) as { topics: unknown };
    expect(settings.topics).toEqual({
      verdict: eventFilter('uniad/dash', 'verdict'),
      part: eventFilter('uniad/dash', 'part'),
      heatmap: eventFilter('uniad/dash', 'heatmap'),
      feed: eventFilter('uniad/dash', 'feed'),
      status: statusTopic('uniad/dash', 'edge-dash'),
    });
    const page = readFileSync(join(repoRoot, 'src/http/dashboard/app.js'), 'utf8');
    expect(page).not.toMatch(/\/\+\/\+\/|\/status\//);
  });
});
