/**
 * `GET /metrics`, `/healthz`, `/readyz` on the service's HTTP port (the dashboard's server). Answers with a status
 * code a probe can use (200 / 503) and a small JSON body a person can read.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventLoopProbe } from './event-loop.js';
import type { ServiceMetrics } from './metrics.js';
import type { Readiness } from './readiness.js';

export interface HealthSources {
  readonly metrics: ServiceMetrics;
  readonly probe: EventLoopProbe;
  readonly readiness: () => Readiness;
}

/** What Prometheus, systemd and a load balancer ask for: open without a login (dashboard.metricsAuth). */
export const healthPaths: readonly string[] = ['/metrics', '/healthz', '/readyz'];

/** A request handler for the three paths; returns false for any other path so the caller can serve it. */
export type Route = (req: IncomingMessage, res: ServerResponse) => boolean;

export function healthRoutes(src: HealthSources): Route {
  const json = (res: ServerResponse, code: number, body: unknown) =>
    res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://service').pathname;
    switch (path) {
      case '/metrics':
        src.metrics.text().then(
          (text) => res.writeHead(200, { 'content-type': src.metrics.contentType }).end(text),
          (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(err.message),
        );
        return true;
      case '/healthz': {
        const lagMs = Math.round(src.probe.lagMs());
        const alive = src.probe.responsive();
        json(res, alive ? 200 : 503, { alive, eventLoopLagMs: lagMs });
        return true;
      }
      case '/readyz': {
        const r = src.readiness();
        json(res, r.ready ? 200 : 503, r);
        return true;
      }
      default:
        return false;
    }
  };
}
