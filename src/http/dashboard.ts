/**
 * The service's HTTP port: `/metrics`, `/healthz`, `/readyz` (health-routes.ts) and the live dashboard, a static page
 * (dashboard/) behind a login (gate.ts) that gets its settings, the recent scores (`/history.json`) and the latest
 * rejects (`/last-rejects.json`, their pictures) from here, and reaches the broker through the MQTT relay on this same
 * port (`/mqtt`, mqtt-relay.ts), so the broker's own port can stay on loopback and no password reaches a browser.
 * Over HTTPS with `dashboard.tls`; bound beyond loopback without it, the start says loudly that passwords cross the
 * network in clear. The fleet page (`/fleet`, dashboard/fleet.html), behind the same login, shows every node of the
 * plant from `/fleet.json`, rows the wiring hands over (fleet/fleet-view.ts); it needs no MQTT, so it is served even
 * where the page is not (a backbone without MQTT over WebSocket).
 *
 * Folder http/: this server, its routes (metrics.ts, readiness.ts, event-loop.ts, health-routes.ts), the login
 * (gate.ts, logins.ts, sessions.ts, login-throttle.ts), the relay (mqtt-relay.ts, relay-guard.ts), what the page starts
 * from (score-history.ts, last-rejects.ts, page-settings.ts) and the page itself. It imports shared modules at src/
 * only: never sinks/, broker/, images/, evidence/, sources/, pipeline/, config.ts or the wiring. What it shows of them
 * (the MQTT link, the queue, the model, the accounts) it is handed as plain values and functions by the wiring
 * (service/observability.ts, service/http.ts).
 */
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { uniadError } from '../errors.js';
import type { Logger } from '../types.js';
import { urlHost } from '../url-host.js';
import { Gate, crossSite, type Visitor } from './gate.js';
import { healthPaths, type Route } from './health-routes.js';
import { isLoopbackHost, isWildcardHost } from './hosts.js';
import type { DashboardAccount } from './logins.js';
import { MqttRelay } from './mqtt-relay.js';
import { fleetFiles, loginPage, pageFiles, pageHeaders, type PageFile } from './page-files.js';
import { pageSettings, type DashboardPage } from './page-settings.js';

export type { DashboardPage, DashboardTopics, PageCamera } from './page-settings.js';

export interface DashboardAccess {
  /** Who logs in: the broker's viewer and operator accounts (embedded), or dashboard.users (external). */
  readonly accounts: readonly DashboardAccount[];
  /** `auto`: a login is wanted when bound beyond loopback; `always`: also on loopback. */
  readonly login: 'auto' | 'always';
  readonly sessionHours: number;
  readonly metricsAuth: 'none' | 'basic';
  /** PEM files: served over HTTPS. */
  readonly tls?: { readonly cert: string; readonly key: string };
}

export interface DashboardOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly access: DashboardAccess;
  /** Absent: only `routes` are served (dashboard disabled, metrics and health still up). */
  readonly page?: DashboardPage;
  /** /metrics, /healthz, /readyz. */
  readonly routes?: Route;
  /** The plant's nodes and cameras now (fleet rows, as JSON): serves the fleet page `/fleet` and `/fleet.json`. */
  readonly fleet?: () => unknown;
  readonly logger: Logger;
}

export interface Dashboard {
  readonly url: string;
  close(): Promise<void>;
}

const json = { 'content-type': 'application/json', 'cache-control': 'no-store' };

function readTls(tls: { readonly cert: string; readonly key: string }): { cert: Buffer; key: Buffer } {
  const read = (field: 'cert' | 'key') => {
    try {
      return readFileSync(tls[field]);
    } catch (err) {
      throw uniadError('DASHBOARD_TLS_FILE', field, tls[field], (err as Error).message);
    }
  };
  return { cert: read('cert'), key: read('key') };
}

function sendFile(res: ServerResponse, file: PageFile, logger: Logger): void {
  readFile(file.path).then(
    (body) => res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-cache', ...pageHeaders }).end(body),
    (err: Error) => {
      logger.error('dashboard: cannot read asset', { path: file.path, error: err.message });
      res.writeHead(500).end();
    },
  );
}

/** The picture of a camera's last reject; one that cannot be made is a 500 and a log line, never a stopped service. */
function sendPicture(res: ServerResponse, page: DashboardPage, url: URL, logger: Logger): void {
  const [line, camera] = [url.searchParams.get('line') ?? '', url.searchParams.get('camera') ?? ''];
  let png: Buffer | undefined;
  try {
    png = page.lastRejects.picture(line, camera);
  } catch (err) {
    logger.error('dashboard: cannot make the picture of the last reject', { line, camera, error: (err as Error).message });
    res.writeHead(500, { 'content-type': 'text/plain' }).end('the picture could not be made (see the service log)\n');
    return;
  }
  if (png === undefined) res.writeHead(404, { 'content-type': 'text/plain' }).end('no reject of that camera\n');
  else res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'no-store' }).end(png);
}

/** Serves the page's own files, its settings and what it starts from, to a visitor the gate let in. */
function pageRoute(page: DashboardPage, files: Readonly<Record<string, PageFile>>, gate: Gate, loginRequired: boolean, logger: Logger) {
  return (req: IncomingMessage, res: ServerResponse, path: string, url: URL): void => {
    const visitor: Visitor | undefined = gate.visitor(req);
    if (visitor === undefined) {
      if (path === '/') res.writeHead(303, { location: 'login', 'cache-control': 'no-store' }).end();
      else if (files[path] || path.endsWith('.json') || path.endsWith('.png')) res.writeHead(401, json).end(JSON.stringify({ error: 'log in first', login: 'login' }));
      else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    switch (path) {
      case '/settings.json':
        gate.renew(res, visitor);
        res.writeHead(200, json).end(JSON.stringify(pageSettings(page, visitor.user, { loginRequired, canLogIn: gate.canLogIn })));
        return;
      case '/history.json':
        res.writeHead(200, json).end(JSON.stringify(page.history()));
        return;
      case '/last-rejects.json':
        res.writeHead(200, json).end(JSON.stringify(page.lastRejects.toJSON()));
        return;
      case '/last-reject.png':
        return sendPicture(res, page, url, logger);
    }
    const file = files[path];
    if (file === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (path === '/') gate.renew(res, visitor);
    sendFile(res, file, logger);
  };
}

/** Serves the fleet page and its rows to a visitor the gate let in. */
function fleetRoute(fleet: () => unknown, files: Readonly<Record<string, PageFile>>, gate: Gate, logger: Logger) {
  return (req: IncomingMessage, res: ServerResponse, path: string): void => {
    const visitor: Visitor | undefined = gate.visitor(req);
    if (visitor === undefined) {
      if (path === '/fleet') res.writeHead(303, { location: 'login', 'cache-control': 'no-store' }).end();
      else res.writeHead(401, json).end(JSON.stringify({ error: 'log in first', login: 'login' }));
      return;
    }
    if (path === '/fleet.json') {
      res.writeHead(200, json).end(JSON.stringify(fleet()));
      return;
    }
    if (path === '/fleet') gate.renew(res, visitor);
    sendFile(res, files[path]!, logger);
  };
}

export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const { page, access, logger } = opts;
  const tls = access.tls && readTls(access.tls);
  const loginRequired = access.login === 'always' || !isLoopbackHost(opts.host);
  const gate = new Gate({ accounts: access.accounts, loginRequired, sessionHours: access.sessionHours, metricsAuth: access.metricsAuth, secure: tls !== undefined, loginPage, logger });
  const files = pageFiles();
  const servePage = page && pageRoute(page, files, gate, loginRequired, logger);
  const fleetPaths = fleetFiles();
  const serveFleet = opts.fleet && fleetRoute(opts.fleet, fleetPaths, gate, logger);
  const relay = page && new MqttRelay(page.brokerWsUrl, page.prefix, logger);

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const path = url.pathname;
    if (healthPaths.includes(path)) {
      if (req.method !== 'GET') res.writeHead(405, { allow: 'GET' }).end();
      else if (gate.healthAllowed(req, res)) opts.routes?.(req, res);
      return;
    }
    if (servePage === undefined && serveFleet === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (path === '/login' && req.method === 'POST') return void gate.login(req, res);
    if (path === '/logout' && req.method === 'POST') return gate.logout(req, res);
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (path === '/login') return void gate.loginForm(res);
    // the login form's style: nothing in it needs a login
    if (path === '/style.css') return sendFile(res, files['/style.css']!, logger);
    if (serveFleet && (fleetPaths[path] || path === '/fleet.json')) return serveFleet(req, res, path);
    if (servePage) return servePage(req, res, path, url);
    // only the fleet page: a login lands on it
    if (path === '/') res.writeHead(303, { location: 'fleet', 'cache-control': 'no-store' }).end();
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  };
  const server: Server = tls ? createTlsServer(tls, handle) : createServer(handle);

  // one set of credentials: a logged-in user reaches the broker as that user; the page without login read-only
  const upstreamFor = (user: Visitor['user']) => (user.username === undefined ? page?.readOnly : access.accounts.find((a) => a.username === user.username));
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://dashboard').pathname;
    const visitor = gate.visitor(req);
    const refuse = (status: string) => socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    if (relay === undefined || path !== '/mqtt') return refuse('404 Not Found');
    if (crossSite(req)) return refuse('403 Forbidden');
    if (visitor === undefined) return refuse('401 Unauthorized');
    const token = visitor.session?.token;
    relay.upgrade(req, socket, head, {
      user: visitor.user,
      upstream: upstreamFor(visitor.user),
      hold: (close) => (token === undefined ? () => undefined : gate.sessions.hold(token, close)),
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `${tls ? 'https' : 'http'}://${urlHost(isWildcardHost(opts.host) ? hostname() : opts.host)}:${port}/`;
  logger.info(page ? 'dashboard listening' : 'metrics and health listening', { url, login: page ? (loginRequired ? 'required' : 'for operators') : undefined, metricsAuth: access.metricsAuth });
  if (!isLoopbackHost(opts.host) && tls === undefined && (page || access.metricsAuth === 'basic')) {
    logger.warn('DASHBOARD WITHOUT TLS BEYOND LOOPBACK: user names, passwords and session cookies cross the network in clear; set dashboard.tls (cert, key), or bind dashboard.host to 127.0.0.1 behind an HTTPS proxy', { host: opts.host, port });
  }
  if (page && loginRequired && !gate.canLogIn) {
    logger.error('dashboard: nobody can log in: it wants a login and there is no viewer or operator account (add some to embeddedBroker.users, or dashboard.users with an external broker)', { host: opts.host });
  }
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        relay?.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
