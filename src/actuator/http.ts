/**
 * The actuator's small HTTP port (loopback by default): `GET /metrics` for Prometheus, `GET /healthz` for a person or
 * a probe — 200 while the process runs, with what it sees (broker, holds, PLC links) as JSON. A PLC that is down is
 * not a reason to restart the actuator, so it does not turn /healthz into a failure; /metrics and the log carry it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { uniadError } from '../errors.js';
import { urlHost } from '../url-host.js';
import type { ActuatorMetrics, ActuatorScrape } from './metrics.js';

export interface ActuatorHttp {
  readonly url: string;
  close(): Promise<void>;
}

export async function serveActuatorHttp(host: string, port: number, metrics: ActuatorMetrics, state: () => ActuatorScrape): Promise<ActuatorHttp> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://actuator').pathname;
    if (path === '/metrics') {
      metrics.text().then(
        (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(err.message),
      );
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ alive: true, ...state() }));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('the actuator serves /metrics and /healthz\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(uniadError('METRICS_LISTEN', host, String(port), err.message)));
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${urlHost(host)}:${bound}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
