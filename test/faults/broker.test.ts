/**
 * Broker faults with the real service process (`uniad-edge run`) publishing to a test-started Debian mosquitto:
 * verdicts queue on disk while the broker is down, survive a service restart, and reach a subscriber once it is
 * back — every frame's verdict id present, in order per camera. QoS 1 may deliver a message twice; the subscriber
 * deduplicates by id (the contract) and the duplicates are counted and reported here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/types.js';
import { tinyModels } from '../setup/tiny-model.js';
import { Mosquitto } from '../support/mosquitto.js';
import { subscribe, type Subscriber } from '../support/subscriber.js';
import { startServiceProcess, writeConfig, type ServiceProcess } from './service-process.js';
import { encodeVideo } from './video.js';

const frames = 200;
const fps = 15; // 200 frames take 13.3 s: a 10 s outage fits inside the stream

/** One camera playing `video` at its own pace, the tiny model, mosquitto with a disk queue in `dir`. */
function config(dir: string, video: string, url: string, node: string) {
  return writeConfig(dir, `${node}.yaml`, {
    site: 'faults',
    node,
    cameras: [{ id: 'cam1', line: 'line1', product: 'bolt', source: video, live: true }],
    model: { path: tinyModels.ok, providers: ['cpu'], threads: 1, deadlineMs: 5000 },
    mqtt: { url, prefix: `uniad/${node}`, queue: { store: 'disk', dir: join(dir, `${node}-queue`) }, heatmaps: { enabled: false } },
  });
}

/** Verdicts received for run `runId` (all if absent): ids first-arrival order, and how many arrived twice. */
function received(sub: Subscriber, runId?: string) {
  const all = sub.json<Verdict>('verdict').filter((v) => runId === undefined || v.id.split(':')[1] === runId);
  const firsts = new Map<string, Verdict>();
  for (const v of all) if (!firsts.has(v.id)) firsts.set(v.id, v);
  return { unique: [...firsts.values()], duplicates: all.length - firsts.size };
}

async function until(condition: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seqRange = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('broker faults, service process against mosquitto', () => {
  let dir: string;
  let video: string;
  let broker: Mosquitto;
  const services: ServiceProcess[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uniad-broker-faults-'));
    [video, broker] = await Promise.all([encodeVideo(dir, frames, fps), Mosquitto.start()]);
  });
  afterAll(async () => {
    for (const s of services) await s.stop();
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const start = (configPath: string) => {
    const s = startServiceProcess(configPath, dir);
    services.push(s);
    return s;
  };

  it('should deliver every verdict once per id, in order, after mosquitto was down for 10 s mid-stream', async () => {
    const node = 'outage';
    const sub = await subscribe(broker.url, [`uniad/${node}/#`], { clean: false, clientId: 'actuator-outage' });
    const svc = start(config(dir, video, broker.url, node));
    await until(() => sub.on('verdict').length >= 10, 30_000, () => `first verdicts; stderr ${svc.stderr().slice(-2000)}`);
    await broker.stop();
    const downAt = Date.now();
    await sleep(10_000);
    await broker.start();
    const upAt = Date.now();
    expect(await svc.exited).toEqual({ code: 0, signal: null }); // the file ends, the service drains and exits
    const stopped = svc.logs.find((l) => l.msg === 'stopped')!;
    // The camera plays the file live (paced), as a camera would: a process that stalled would drop frames at the
    // bounded appsink. Checked first, so such a drop is not mistaken for a lost verdict.
    expect(stopped, 'frames the service received from the live file').toMatchObject({ frames });
    const missing = () => seqRange(frames).filter((seq) => !received(sub).unique.some((v) => v.seq === seq));
    await until(() => received(sub).unique.length >= frames, 20_000, () => `${received(sub).unique.length} of ${frames} verdicts, missing seq ${missing().join(', ')}; service ${JSON.stringify(stopped)}; sink ${JSON.stringify(svc.logs.find((l) => l.msg === 'mqtt: closed'))}`);
    const { unique, duplicates } = received(sub);
    const statuses = sub.json<{ state: string; reason?: string }>(`status/${node}`).map((s) => `${s.state}${s.reason ? `:${s.reason}` : ''}`);
    console.log(
      `outage ${upAt - downAt} ms: ${unique.length} unique verdict ids of ${frames} frames, ${duplicates} duplicates; service counted ${JSON.stringify(stopped)}; statuses ${statuses.join(' → ')}`,
    );
    expect(unique.map((v) => v.seq)).toEqual(seqRange(frames)); // every frame, first arrivals in order
    // mosquitto going down publishes the service's last will (retained, so it may come again when it is back)
    expect(statuses.filter((s, i) => s !== statuses[i - 1])).toEqual(['online', 'offline:connection lost', 'online', 'offline:closed']);
    await sub.close();
  });

  it('should deliver verdicts queued on disk by a service that was restarted while mosquitto was down', async () => {
    const node = 'restart';
    const sub = await subscribe(broker.url, [`uniad/${node}/+/+/verdict`], { clean: false, clientId: 'actuator-restart' });
    const cfg = config(dir, video, broker.url, node);
    const first = start(cfg);
    const { runId } = await first.waitForLog('service started');
    await until(() => sub.on('verdict').length >= 5, 30_000, () => 'first verdicts');
    await broker.stop();
    await sleep(2000); // ~30 frames decided and queued while the broker is down
    const stop = await first.stop();
    const stopped = first.logs.find((l) => l.msg === 'stopped')!;
    const decided = stopped['frames'] as number;
    const closed = first.logs.find((l) => l.msg === 'mqtt: closed')!;

    const second = start(cfg); // same queue folder, broker still down
    await second.waitForLog('service started');
    await sleep(1000);
    await broker.start();
    await until(() => received(sub, runId as string).unique.length >= decided, 20_000, () => `${received(sub, runId as string).unique.length} of ${decided} verdicts of the first run`);
    const { unique, duplicates } = received(sub, runId as string);
    console.log(`restart: SIGTERM drained in ${stop.ms} ms (exit ${stop.code}) with ${closed['queued']} messages (verdicts and rejects) left queued on disk; after the broker returned the subscriber had all ${unique.length} of the ${decided} verdicts of the first run, ${duplicates} duplicates`);
    expect(stop.code).toBe(0);
    expect(closed['queued']).toBeGreaterThan(10);
    expect(unique.map((v) => v.seq)).toEqual(seqRange(decided));
    expect((await second.stop()).code).toBe(0);
    await sub.close();
  });

  it('should have mosquitto publish the offline last will when the service dies, and online when it is back', async () => {
    const node = 'will';
    const sub = await subscribe(broker.url, [`uniad/${node}/status/+`]);
    const cfg = config(dir, video, broker.url, node);
    const first = start(cfg);
    await until(() => sub.on(`status/${node}`).length >= 1, 30_000, () => 'online status');
    process.kill(first.pid, 'SIGKILL');
    await until(() => sub.on(`status/${node}`).length >= 2, 10_000, () => 'the last will');
    const second = start(cfg);
    await until(() => sub.on(`status/${node}`).length >= 3, 30_000, () => 'online again');
    expect(sub.json<{ state: string; reason?: string }>(`status/${node}`).map((s) => [s.state, s.reason])).toEqual([
      ['online', undefined],
      ['offline', 'connection lost'],
      ['online', undefined],
    ]);
    await second.stop();
    await sub.close();
  });
});
