/**
 * The live dashboard: a small HTTP server for one static page that subscribes to the verdict, heatmap and status
 * topics over MQTT-over-WebSocket, in the browser. The server knows nothing of verdicts; the broker is the only feed,
 * so the page shows exactly what a plant system subscribed to the same topics would see.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import type { Logger } from '../types.js';
import { eventFilter, statusTopic } from './topics.js';
import { urlHost } from './url-host.js';

export interface DashboardOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** The broker's MQTT-over-WebSocket URL the browser connects to. */
  readonly mqttWsUrl: string;
  /** The read-only account the page connects with (the embedded broker's `viewer`); none: anonymous. */
  readonly viewer?: { readonly username: string; readonly password: string };
  readonly prefix: string;
  readonly node: string;
  readonly logger: Logger;
}

export interface Dashboard {
  readonly url: string;
  close(): Promise<void>;
}

const assets = join(packageRoot, 'src/sinks/dashboard');

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
  const routes = files();
  // The page subscribes to exactly these: topics are built in topics.ts only, never in the browser.
  const topics = { verdict: eventFilter(opts.prefix, 'verdict'), heatmap: eventFilter(opts.prefix, 'heatmap'), status: statusTopic(opts.prefix, opts.node) };
  // the viewer account goes to the browser: it can read what the page shows anyway, and publish nothing
  const settings = JSON.stringify({ mqttWsUrl: opts.mqttWsUrl, ...(opts.viewer ? { username: opts.viewer.username, password: opts.viewer.password } : {}), prefix: opts.prefix, node: opts.node, topics });
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://dashboard').pathname;
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/settings.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(settings);
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
  const url = `http://${urlHost(opts.host)}:${port}/`;
  opts.logger.info('dashboard listening', { url, mqttWsUrl: opts.mqttWsUrl });
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
