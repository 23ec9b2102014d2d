/**
 * The dashboard's port against a real embedded broker: who gets in (login or not, by binding and `login`), what the
 * MQTT relay lets through for each role, logout, the login throttle, HTTPS, and `/metrics` behind HTTP Basic.
 * test/dashboard.test.ts does the same through Chromium on a whole service.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { startDashboard, type Dashboard, type DashboardAccess, type DashboardPage } from '../../src/http/dashboard.js';
import { Gate } from '../../src/http/gate.js';
import { LastRejects } from '../../src/http/last-rejects.js';
import { loginPage } from '../../src/http/page-files.js';
import { silentLogger } from '../../src/log.js';
import type { Logger } from '../../src/types.js';
import { subscribe } from '../support/subscriber.js';

const prefix = 'uniad/t';
const accounts = [
  { username: 'view', password: 'view-pw', role: 'viewer' as const },
  { username: 'op', password: 'op-pw', role: 'operator' as const },
];

function recordingLogger(): Logger & { lines: { level: string; msg: string; fields?: Record<string, unknown> }[] } {
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('dashboard server', () => {
  let broker: EmbeddedBroker;
  let dashboard: Dashboard | undefined;
  const clients: MqttClient[] = [];

  const page = (b: EmbeddedBroker): DashboardPage => ({
    brokerWsUrl: b.wsUrl,
    readOnly: b.viewer,
    prefix,
    node: 'n1',
    chartSeconds: 60,
    timeZone: 'UTC',
    history: () => ({}),
    lastRejects: new LastRejects(),
    topics: { verdict: `${prefix}/+/+/verdict`, part: `${prefix}/+/+/part`, heatmap: `${prefix}/+/+/heatmap`, feed: `${prefix}/+/+/feed`, status: `${prefix}/status/n1` },
    cameras: [{ line: 'l1', camera: 'c1', intervalMs: 100, triggered: false, thresholdTopic: `${prefix}/l1/c1/threshold`, thresholdSetTopic: `${prefix}/l1/c1/threshold/set`, feedbackTopic: `${prefix}/l1/c1/feedback` }],
    lines: [{ line: 'l1', recipeTopic: `${prefix}/l1/recipe` }],
    products: () => ['bolt', 'nut'],
  });
  const access = (over: Partial<DashboardAccess> = {}): DashboardAccess => ({ accounts, login: 'auto', sessionHours: 1, metricsAuth: 'none', ...over });

  beforeAll(async () => {
    broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, wsPort: 0, username: 'svc', password: 'svc-pw', users: accounts, allowAnonymous: false }, silentLogger, { prefix, serviceClientId: 'svc-id' });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.end(true);
    await dashboard?.close();
    dashboard = undefined;
  });
  afterAll(() => broker?.close());

  const post = async (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(new URL(path, dashboard!.url), { method: 'POST', body: new URLSearchParams(form), redirect: 'manual', headers });
  const cookieOf = async (username: string, password: string) => (await post('login', { username, password })).headers.get('set-cookie')?.split(';')[0];

  /** An MQTT client through the relay, with the given cookie; resolves when it is connected. */
  async function relayClient(cookie?: string): Promise<MqttClient> {
    const client = await mqtt.connectAsync(`${dashboard!.url.replace('http', 'ws')}mqtt`, { protocolVersion: 4, reconnectPeriod: 0, wsOptions: { headers: cookie ? { cookie } : {} } });
    clients.push(client);
    return client;
  }
  /** The answer to a WebSocket upgrade of the relay: 101 when it opened. */
  const upgradeStatus = (headers: Record<string, string> = {}) =>
    new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${dashboard!.url.replace('http', 'ws')}mqtt`, 'mqtt', { headers });
      ws.once('unexpected-response', (_req, res) => (ws.terminate(), resolve(res.statusCode!)));
      ws.once('open', () => (ws.terminate(), resolve(101)));
      ws.once('error', reject);
    });
  const closed = (c: MqttClient) => new Promise<void>((resolve) => (c.disconnected ? resolve() : c.once('close', () => resolve())));

  it('should open the page read-only without a login on loopback, and the relay as the broker viewer', async () => {
    dashboard = await startDashboard({ host: '127.0.0.1', port: 0, access: access(), page: page(broker), logger: silentLogger });
    expect((await fetch(dashboard.url)).status).toBe(200);
    const settings = (await (await fetch(new URL('settings.json', dashboard.url))).json()) as Record<string, unknown>;
    expect(settings).toMatchObject({ user: null, role: 'viewer', loginRequired: false, canLogIn: true, controls: false, products: [] });
    const client = await relayClient();
    await client.subscribeAsync(`${prefix}/#`);
    const got = new Promise<string>((resolve) => client.on('message', (_t, p) => resolve(p.toString())));
    const service = await mqtt.connectAsync(broker.url, { protocolVersion: 4, username: 'svc', password: 'svc-pw' });
    await service.publishAsync(`${prefix}/l1/c1/verdict`, '{"id":"x"}', { qos: 1 });
    expect(await got).toBe('{"id":"x"}');
    await service.endAsync();
    // a viewer's publish ends its connection
    client.publish(`${prefix}/l1/c1/threshold/set`, '{"threshold":1}');
    await closed(client);
  });

  it("should relay an operator's command with the operator's own broker account, and refuse its other publishes", async () => {
    const logger = recordingLogger();
    dashboard = await startDashboard({ host: '127.0.0.1', port: 0, access: access(), page: page(broker), logger });
    const cookie = await cookieOf('op', 'op-pw');
    expect(cookie).toMatch(/^uniad_session=[A-Za-z0-9_-]{43}$/);
    const settings = (await (await fetch(new URL('settings.json', dashboard.url), { headers: { cookie: cookie! } })).json()) as Record<string, unknown>;
    expect(settings).toMatchObject({ user: 'op', role: 'operator', controls: true, products: ['bolt', 'nut'], lines: [{ line: 'l1', recipeTopic: `${prefix}/l1/recipe` }] });
    expect(settings.cameras).toEqual([expect.objectContaining({ thresholdSetTopic: `${prefix}/l1/c1/threshold/set` })]);

    const watcher = await subscribe(broker.url, [`${prefix}/+/+/threshold/set`], { username: 'view', password: 'view-pw' });
    const op = await relayClient(cookie);
    await op.publishAsync(`${prefix}/l1/c1/threshold/set`, '{"threshold":3,"by":"mallory"}', { qos: 1 });
    // the broker stamps the user it authenticated: the relay connected as op, not as a shared account
    expect((await watcher.waitFor(1))[0]!.payload.toString()).toBe('{"threshold":3,"by":"op"}');
    await watcher.close();
    expect(logger.lines).toContainEqual({ level: 'info', msg: 'dashboard: command relayed to the broker', fields: { user: 'op', role: 'operator', topic: `${prefix}/l1/c1/threshold/set` } });
    op.publish(`${prefix}/l1/c1/verdict`, '{}');
    await closed(op);
    expect(logger.lines).toContainEqual({ level: 'warn', msg: 'dashboard: the MQTT relay closed a connection', fields: { user: 'op', role: 'operator', why: `an operator publishes only the command topics (threshold/set, recipe, feedback) under ${prefix} (tried ${prefix}/l1/c1/verdict)` } });
  });

  it('should serve the fleet page behind the same login, also without the live page (no MQTT over WebSocket)', async () => {
    const rows = [{ node: 'box-a', state: 'online' }];
    dashboard = await startDashboard({ host: '127.0.0.1', port: 0, access: access({ login: 'always' }), fleet: () => rows, logger: silentLogger });
    const get = (path: string, cookie?: string) => fetch(new URL(path, dashboard!.url), { redirect: 'manual', headers: cookie ? { cookie } : {} });
    const fleet = await get('fleet');
    expect([fleet.status, fleet.headers.get('location')]).toEqual([303, 'login']);
    expect((await get('fleet.json')).status).toBe(401);
    expect((await get('fleet.js')).status).toBe(401);
    const cookie = await cookieOf('view', 'view-pw');
    expect(cookie).toBeDefined();
    const page = await get('fleet', cookie);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<table id="fleet">');
    expect(await (await get('fleet.json', cookie)).json()).toEqual(rows);
    // a login lands on `/`: with only the fleet page, that is the fleet page
    expect([(await get('', cookie)).status, (await get('', cookie)).headers.get('location')]).toEqual([303, 'fleet']);
    // what the live page serves is not there
    expect((await get('settings.json', cookie)).status).toBe(404);
  });

  it('should close a relay connection that sends what is not MQTT, and go on serving', async () => {
    const logger = recordingLogger();
    dashboard = await startDashboard({ host: '127.0.0.1', port: 0, access: access(), page: page(broker), logger });
    const ws = new WebSocket(`${dashboard.url.replace('http', 'ws')}mqtt`, 'mqtt');
    await new Promise((resolve) => ws.once('open', resolve));
    const gone = new Promise((resolve) => ws.once('close', resolve));
    // packet type 0 is reserved (MQTT 3.1.1 §2.2.1)
    ws.send(Buffer.from([0x00, 0x00]));
    await gone;
    expect(logger.lines.find((l) => l.msg === 'dashboard: the MQTT relay closed a connection')?.fields?.why).toMatch(/^not MQTT 3\.1\.1: |^a packet that cannot be relayed: /);
    expect((await fetch(new URL('settings.json', dashboard.url))).status).toBe(200);
  });

  it("should answer 500 for a last reject's picture that cannot be made, and log why", async () => {
    const logger = recordingLogger();
    const p = page(broker);
    p.lastRejects.add({ id: 'c1:r:1', camera: 'c1', line: 'l1', product: 'bolt', seq: 1, capturedAt: 1, decidedAt: 2, score: 1, threshold: 0.5, normalizedScore: 2, reject: true, reason: 'anomaly', model: 'm@1' }, () => () => {
      throw new Error('map of 0 x 0');
    });
    dashboard = await startDashboard({ host: '127.0.0.1', port: 0, access: access(), page: p, logger });
    expect((await fetch(new URL('last-reject.png?line=l1&camera=c1', dashboard.url))).status).toBe(500);
    expect(logger.lines).toContainEqual({ level: 'error', msg: 'dashboard: cannot make the picture of the last reject', fields: { line: 'l1', camera: 'c1', error: 'map of 0 x 0' } });
    expect((await fetch(new URL('last-reject.png?line=l1&camera=c2', dashboard.url))).status).toBe(404);
  });

  it('should end the live connection of a session that logs out', async () => {
    dashboard = await startDashboard({ host: '127.0.0.1', port: 0, access: access(), page: page(broker), logger: silentLogger });
    const cookie = await cookieOf('view', 'view-pw');
    const client = await relayClient(cookie);
    const out = await post('logout', {}, { cookie: cookie! });
    expect([out.status, out.headers.get('location'), out.headers.get('set-cookie')]).toEqual([303, './', 'uniad_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0']);
    await closed(client);
    const again = await fetch(new URL('settings.json', dashboard.url), { headers: { cookie: cookie! } });
    expect((await again.json()) as unknown).toMatchObject({ user: null });
  });

  it("should want a login on loopback too with login: always, and no page files, data or relay without it", async () => {
    dashboard = await startDashboard({ host: '127.0.0.1', port: 0, access: access({ login: 'always' }), page: page(broker), logger: silentLogger });
    const root = await fetch(dashboard.url, { redirect: 'manual' });
    expect([root.status, root.headers.get('location')]).toEqual([303, 'login']);
    for (const path of ['app.js', 'mqtt.min.js', 'settings.json', 'history.json', 'last-rejects.json', 'last-reject.png?line=l1&camera=c1']) {
      expect((await fetch(new URL(path, dashboard.url))).status, path).toBe(401);
    }
    expect(await upgradeStatus()).toBe(401);
    const login = await fetch(new URL('login', dashboard.url));
    expect(login.status).toBe(200);
    expect(login.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await login.text()).toContain('<form method="post" action="login">');
  });

  it('should refuse a login posted from another site, and throttle an address that keeps guessing', async () => {
    const logger = recordingLogger();
    dashboard = await startDashboard({ host: '127.0.0.1', port: 0, access: access({ login: 'always' }), page: page(broker), logger });
    const foreign = await post('login', { username: 'op', password: 'op-pw' }, { origin: 'http://evil.example' });
    expect([foreign.status, foreign.headers.get('set-cookie')]).toEqual([400, null]);
    for (let i = 0; i < 10; i++) expect((await post('login', { username: 'op', password: `guess-${i}` })).status).toBe(401);
    const blocked = await post('login', { username: 'op', password: 'op-pw' });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await blocked.text()).toMatch(/Too many failed logins from this address: try again in \d+ s\./);
    expect(logger.lines.filter((l) => l.msg === 'dashboard: login refused: wrong user name or password')).toHaveLength(10);
    expect(logger.lines.find((l) => l.msg.startsWith('dashboard: login refused'))!.fields).toEqual({ username: 'op', address: '127.0.0.1' });
  });

  it('should say at the start that nobody can log in, and that passwords cross the network in clear', async () => {
    const logger = recordingLogger();
    dashboard = await startDashboard({ host: '127.0.0.1', port: 0, access: access({ login: 'always', accounts: [] }), page: page(broker), logger });
    expect(logger.lines.map((l) => l.msg)).toContain('dashboard: nobody can log in: it wants a login and there is no viewer or operator account (add some to embeddedBroker.users, or dashboard.users with an external broker)');
    expect(await (await fetch(new URL('login', dashboard.url))).text()).toContain('No account can log in');
    await dashboard.close();
    // bound beyond loopback (all interfaces; the test still talks to it on loopback) without TLS
    const open = recordingLogger();
    dashboard = await startDashboard({ host: '0.0.0.0', port: 0, access: access(), page: page(broker), logger: open });
    expect(open.lines.find((l) => l.level === 'warn')?.msg).toMatch(/^DASHBOARD WITHOUT TLS BEYOND LOOPBACK: user names, passwords and session cookies cross the network in clear/);
  });

  describe('over HTTPS', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'uniad-dash-tls-'));
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: dir, stdio: 'pipe' });
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('should serve the page and a Secure cookie over HTTPS', async () => {
      dashboard = await startDashboard({ host: '127.0.0.1', port: 0, access: access({ login: 'always', tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') } }), page: page(broker), logger: silentLogger });
      expect(dashboard.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
      const ca = readFileSync(join(dir, 'cert.pem'));
      const res = await new Promise<{ status: number; cookie: string | undefined }>((resolve, reject) => {
        const body = 'username=op&password=op-pw';
        const req = httpsRequest(new URL('login', dashboard!.url), { method: 'POST', ca, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length } }, (r) => {
          r.resume();
          resolve({ status: r.statusCode!, cookie: r.headers['set-cookie']?.[0] });
        });
        req.on('error', reject);
        req.end(body);
      });
      expect(res.status).toBe(303);
      expect(res.cookie).toMatch(/^uniad_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=3600; Secure$/);
    });

    it('should refuse to start with a key it cannot read, naming the field and the file', async () => {
      const missing = join(dir, 'nope.pem');
      await expect(startDashboard({ host: '127.0.0.1', port: 0, access: access({ tls: { cert: join(dir, 'cert.pem'), key: missing } }), page: page(broker), logger: silentLogger })).rejects.toMatchObject({
        code: 'DASHBOARD_TLS_FILE',
        message: expect.stringMatching(/^dashboard\.tls\.key: cannot read ".*nope\.pem": ENOENT/),
      });
    });
  });

  describe('/metrics, /healthz, /readyz with metricsAuth: basic', () => {
    let server: Server;
    let address = '192.0.2.7';
    beforeAll(async () => {
      const gate = new Gate({ accounts, loginRequired: true, sessionHours: 1, metricsAuth: 'basic', secure: false, loginPage, logger: silentLogger });
      // the gate as the dashboard uses it, with the client's address as another machine's
      server = createServer((req, res) => {
        Object.defineProperty(req.socket, 'remoteAddress', { value: address, configurable: true });
        if (gate.healthAllowed(req, res)) res.writeHead(200).end('metrics');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const get = (authorization?: string) =>
      new Promise<{ status: number; challenge: string | undefined; body: string }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/metrics', headers: authorization ? { authorization } : {} }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, challenge: res.headers['www-authenticate'], body }));
        });
        req.on('error', reject);
        req.end();
      });
    const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

    it('should want HTTP Basic with a dashboard account from another machine, and let the box itself in without', async () => {
      address = '192.0.2.7';
      expect(await get()).toMatchObject({ status: 401, challenge: 'Basic realm="uniad-edge", charset="UTF-8"' });
      expect((await get(basic('view', 'wrong'))).status).toBe(401);
      expect(await get(basic('view', 'view-pw'))).toMatchObject({ status: 200, body: 'metrics' });
      expect((await get(basic('op', 'op-pw'))).status).toBe(200);
      address = '::ffff:127.0.0.1';
      expect((await get()).status).toBe(200);
    });
  });
});
