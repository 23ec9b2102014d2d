/**
 * The service's HTTP port as Prometheus and a load balancer use it: a real service (capture children, inference
 * worker, MQTT sink), `GET /metrics`, `/healthz` and `/readyz`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { startService, type Service } from '../../src/service.js';
import { tinyModels } from '../setup/tiny-model.js';
import { testVideo } from '../setup/video.js';
import { freePort } from '../support/free-port.js';

const http = { dashboard: { port: 0, page: false } };
const base = { model: { path: tinyModels.ok, providers: ['cpu'] }, log: { statsIntervalSeconds: 0 }, ...http };

async function get(service: Service, path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(new URL(path, service.dashboardUrl));
  return { status: res.status, text: await res.text() };
}

function sample(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? NaN : Number(line.split(' ').at(-1));
}

describe('service HTTP: /metrics, /healthz, /readyz', () => {
  let service: Service | undefined;
  afterEach(async () => {
    await service?.stop('test end');
    service = undefined;
  });

  it('should move the frame and verdict counters with frames, and be alive and ready', async () => {
    service = await startService(
      parseConfig({
        ...base,
        cameras: [{ id: 'cam1', line: 'l1', product: 'bolt', source: 'test:ball', fps: 20 }],
        mqtt: { queue: { store: 'memory' } },
        embeddedBroker: { port: 0, wsPort: 0 },
      }),
      { logger: silentLogger },
    );
    await expect.poll(async () => sample((await get(service!, '/metrics')).text, 'uniad_frames_total', '{camera="cam1",line="l1"}'), { timeout: 20_000 }).toBeGreaterThan(0);
    const first = (await get(service, '/metrics')).text;
    await expect
      .poll(async () => sample((await get(service!, '/metrics')).text, 'uniad_frames_total', '{camera="cam1",line="l1"}'), { timeout: 20_000 })
      .toBeGreaterThan(sample(first, 'uniad_frames_total', '{camera="cam1",line="l1"}'));
    const text = (await get(service, '/metrics')).text;
    const verdicts = ['ok', 'anomaly', 'deadline', 'error'].reduce((a, r) => a + sample(text, 'uniad_verdicts_total', `{camera="cam1",line="l1",reason="${r}"}`), 0);
    expect(verdicts).toBeGreaterThan(0);
    expect(sample(text, 'uniad_capture_to_publish_seconds_count', '{camera="cam1",line="l1"}')).toBe(verdicts);
    expect(sample(text, 'uniad_batch_size_count', '')).toBeGreaterThan(0);
    expect(sample(text, 'uniad_execution_provider_info', '{provider="cpu",model="tiny@1.0.0"}')).toBe(1);

    const health = await get(service, '/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toMatchObject({ alive: true });
    await expect.poll(async () => (await get(service!, '/readyz')).status, { timeout: 20_000 }).toBe(200);
  });

  it('should turn unready when a camera stalls for twice its watchdog time', async () => {
    service = await startService(
      parseConfig({
        ...base,
        cameras: [
          { id: 'live', line: 'l1', product: 'bolt', source: 'test:ball', fps: 20 },
          // a file without loop ends after 60 frames and then delivers nothing: a stalled camera to /readyz
          { id: 'ending', line: 'l1', product: 'bolt', source: testVideo.path, watchdogSeconds: 3 },
        ],
        mqtt: { queue: { store: 'memory' } },
        embeddedBroker: { port: 0, wsPort: 0 },
      }),
      { logger: silentLogger },
    );
    const readyz = async () => {
      const r = await get(service!, '/readyz');
      const check = (JSON.parse(r.text) as { checks: { name: string; ok: boolean; detail: string }[] }).checks.find((c) => c.name === 'camera ending')!;
      return { status: r.status, ok: check.ok, stale: /^last frame [\d.]+ s ago \(limit 6 s\)$/.test(check.detail) };
    };
    // First its frames arrive, then they stop: unready for the stall, not for "no frame yet".
    await expect.poll(async () => (await readyz()).ok, { timeout: 30_000 }).toBe(true);
    await expect.poll(readyz, { timeout: 30_000 }).toEqual({ status: 503, ok: false, stale: true });
  });

  it('should turn unready when the broker is down and the offline queue is at its bound', async () => {
    const nobody = await freePort(); // no broker listens here
    service = await startService(
      parseConfig({
        ...base,
        cameras: [{ id: 'cam1', line: 'l1', product: 'bolt', source: 'test:ball', fps: 20 }],
        mqtt: { url: `mqtt://127.0.0.1:${nobody}`, queue: { store: 'memory', maxMessages: 5 } },
      }),
      { logger: silentLogger },
    );
    const body = async () => {
      const r = await get(service!, '/readyz');
      return { status: r.status, broker: (JSON.parse(r.text) as { checks: { name: string; ok: boolean; detail: string }[] }).checks.find((c) => c.name === 'broker') };
    };
    await expect.poll(body, { timeout: 30_000 }).toMatchObject({ status: 503, broker: { ok: false, detail: 'unreachable, 5 of 5 verdict messages queued' } });
    expect(sample((await get(service, '/metrics')).text, 'uniad_mqtt_queue_depth', '')).toBe(5);
  });
});
