/**
 * The whole runtime in one process: a real capture child per camera, the real inference worker, the real MQTT sink,
 * and real subscribers on the embedded broker (aedes) and on Debian's mosquitto.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { startService } from '../../src/service.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/embedded-broker.js';
import type { Verdict } from '../../src/types.js';
import { tinyModels } from '../setup/tiny-model.js';
import { testVideo } from '../setup/video.js';
import { Mosquitto } from '../support/mosquitto.js';
import { subscribe } from '../support/subscriber.js';

function fileLineConfig(url: string, prefix: string) {
  return parseConfig({
    site: 'test',
    node: 'svc',
    cameras: [{ id: 'cam1', line: 'line1', product: 'bolt', source: testVideo.path }],
    model: { path: tinyModels.ok, providers: ['cpu'], batchMaxSize: 8, batchMaxWaitMs: 10, deadlineMs: 30_000 },
    mqtt: { url, prefix, queue: { store: 'memory' } },
  });
}

/** Runs the service on the 60-frame test video until the file ends, and checks what a subscriber received. */
async function everyFrameHasOneVerdict(url: string, prefix: string): Promise<void> {
  const sub = await subscribe(url, [`${prefix}/#`]);
  const service = await startService(fileLineConfig(url, prefix), { logger: silentLogger });
  await service.stopped; // a file camera without loop ends, and the service stops by itself

  const received = await sub.waitFor(testVideo.frames, 'verdict', 15_000);
  const verdicts = received.map((m) => JSON.parse(m.payload.toString()) as Verdict);
  expect(new Set(verdicts.map((v) => v.id)).size).toBe(testVideo.frames);
  expect(verdicts.map((v) => v.seq).sort((a, b) => a - b)).toEqual([...Array(testVideo.frames).keys()]);
  for (const v of verdicts) {
    expect(v).toMatchObject({ camera: 'cam1', line: 'line1', model: 'tiny@1.0.0', threshold: 0.5 });
    expect(['ok', 'anomaly']).toContain(v.reason);
    expect(v.reject).toBe(v.reason === 'anomaly');
  }
  const rejects = sub.json<Verdict>('reject');
  expect(rejects.map((r) => r.id).sort()).toEqual(verdicts.filter((v) => v.reject).map((v) => v.id).sort());
  expect(service.counts()).toMatchObject({ frames: testVideo.frames, decisions: { deadline: 0, error: 0 } });
  // The service's close() ends when the broker acknowledged `offline`; the broker may forward it to this subscriber a
  // moment later (mosquitto acknowledges first), so the subscriber is given that moment.
  const lastStatus = () => sub.json<{ state: string; reason?: string }>('status/svc').at(-1);
  await vi.waitUntil(() => lastStatus()?.state === 'offline', { timeout: 5000 }).catch(() => undefined);
  expect(lastStatus()).toMatchObject({ state: 'offline', reason: 'closed' });
  await sub.close();
}

describe('service end to end', () => {
  let aedes: EmbeddedBroker;
  let mosquitto: Mosquitto;

  beforeAll(async () => {
    aedes = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, wsPort: 0 }, silentLogger);
    mosquitto = await Mosquitto.start();
  });
  afterAll(async () => {
    await aedes?.close();
    await mosquitto?.close();
  });

  it('publishes exactly one verdict per frame of a file to a subscriber on the embedded broker', async () => {
    await everyFrameHasOneVerdict(aedes.url, 'svc/aedes');
  });

  it('publishes exactly one verdict per frame of a file to a subscriber on mosquitto', async () => {
    await everyFrameHasOneVerdict(mosquitto.url, 'svc/mosquitto');
  });

  it('starts its own embedded broker when no url is configured and decides each camera with its class threshold', async () => {
    const cfg = parseConfig({
      site: 'test',
      node: 'svc-embedded',
      cameras: [
        { id: 'a', line: 'l', product: 'bolt', source: 'test:white', fps: 30 },
        { id: 'b', line: 'l', product: 'nut', source: 'test:black', fps: 30 },
      ],
      model: { path: tinyModels.ok, providers: ['cpu'], batchMaxSize: 4, batchMaxWaitMs: 40 },
      mqtt: { queue: { store: 'memory' } },
      embeddedBroker: { port: 0, wsPort: 0 },
      dashboard: { enabled: false },
    });
    const service = await startService(cfg, { logger: silentLogger });
    try {
      expect(service.brokerUrl).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
      const sub = await subscribe(service.brokerUrl!, ['uniad/test/#']);
      // The two capture processes start independently (more so on a loaded machine): wait for both cameras.
      const perCamera = () => {
        const verdicts = sub.json<Verdict>('verdict');
        return { verdicts, a: verdicts.filter((v) => v.camera === 'a').length, b: verdicts.filter((v) => v.camera === 'b').length };
      };
      await expect.poll(() => Math.min(perCamera().a, perCamera().b), { timeout: 20_000, interval: 100 }).toBeGreaterThanOrEqual(5);
      const { verdicts } = perCamera();
      // white and black frames are both far from mid-grey: the tiny model scores them 1.0, above both thresholds
      for (const v of verdicts) expect(v).toMatchObject({ reject: true, reason: 'anomaly', threshold: v.camera === 'a' ? 0.5 : 0.7 });
      expect(sub.json<{ state: string }>('status/svc-embedded')[0]).toMatchObject({ state: 'online', provider: 'cpu' });
      await sub.close();
    } finally {
      await service.stop('test end');
    }
  });
});
