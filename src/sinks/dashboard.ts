/**
 * The service's HTTP port: `/metrics`, `/healthz`, `/readyz` (health-routes.ts) and the live dashboard, a static page
 * that subscribes to the verdict, feed, heatmap and status topics over MQTT-over-WebSocket in the browser. Besides
 * the static files the server gives the page its settings and the recent scores (`/history.json`), so a page opened
 * now starts with the last minutes instead of an empty chart.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import type { Logger } from '../types.js';
import { eventFilter, statusTopic } from './topics.js';
import { urlHost } from './url-host.js';
import type { Route } from './health-routes.js';

export interface DashboardPage {
  /** The broker's MQTT-over-WebSocket URL the browser connects to. */
  readonly mqttWsUrl: string;
  /** The read-only (`viewer`) credential the browser connects with, when the broker wants one. */
  readonly username?: string;
  readonly password?: string;
  readonly prefix: string;
  readonly node: string;
  /** Width of the score chart, seconds. */
  readonly chartSeconds: number;
  /** Recent scores per camera (ScoreHistory.toJSON()). */
  readonly history: () => unknown;
}

export interface DashboardOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Absent: only `routes` are served (dashboard disabled, metrics and health still up). */
  readonly page?: DashboardPage;
  /** Tried before the page's files (metrics, health). */
  readonly routes?: Route;
  readonly logger: Logger;
}

export interface Dashboard {
  readonly url: string;
  close(): Promise<void>;
}

const assets = join(packageRoot, 'src/sinks/dashboard');

/** 0.0.0.0, ::, or empty: bound to every interface, so no address a browser could use. */
export function isWildcardHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === '' || h === '0.0.0.0' || /^[0:]+$/.test(h);
}

function files(): Record<string, { path: string; type: string }> {
  // mqtt's exports map `./dist/*` to `./dist/*.js`: the browser bundle is named without its extension.
  const mqttBundle = createRequire(import.meta.url).resolve('mqtt/dist/mqtt.min');
  return {
    '/': { path: join(assets, 'index.html'), type: 'text/html; charset=utf-8' },
    '/app.js': { path: join(assets, 'app.js'), type: 'text/javascript; charset=utf-8' },
    '/style.css': { path: join(assets, 'style.css'), type: 'text/css; charset=utf-8' },
    '/mqtt.min.js': { path: mqttBundle, type: 'text/javascript; charset=utf-8' },
  };
}

export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const { page } = opts;
  const routes = page ? files() : {};
  const settings =
    page &&
    JSON.stringify({
      mqttWsUrl: page.mqttWsUrl,
      // The page swaps in the host it was loaded from: never tell a browser ws://0.0.0.0.
      wildcardHost: isWildcardHost(new URL(page.mqttWsUrl).hostname),
      username: page.username,
      password: page.password,
      prefix: page.prefix,
      node: page.node,
      chartSeconds: page.chartSeconds,
      // The page subscribes to exactly these: topics are built in topics.ts only, never in the browser.
      topics: {
        verdict: eventFilter(page.prefix, 'verdict'),
        heatmap: eventFilter(page.prefix, 'heatmap'),
        feed: eventFilter(page.prefix, 'feed'),
        status: statusTopic(page.prefix, page.node),
      },
    });
  const json = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    if (opts.routes?.(req, res)) return;
    const path = new URL(req.url ?? '/', 'http://dashboard').pathname;
    if (page && path === '/settings.json') {
      res.writeHead(200, json).end(settings);
      return;
    }
    if (page && path === '/history.json') {
      res.writeHead(200, json).end(JSON.stringify(page.history()));
      return;
    }
    const file = routes[path];
    if (file === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    readFile(file.path).then(
      (body) => res.writeHead(200, { 'content-type': file.type }).end(body),
      (err: Error) => {
        opts.logger.error('dashboard: cannot read asset', { path: file.path, error: err.message });
        res.writeHead(500).end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${urlHost(isWildcardHost(opts.host) ? hostname() : opts.host)}:${port}/`;
  opts.logger.info(page ? 'dashboard listening' : 'metrics and health listening', { url, mqttWsUrl: page?.mqttWsUrl });
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
