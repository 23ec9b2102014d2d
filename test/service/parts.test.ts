/**
 * Parts in the running service, against the real broker with its ACL, the real capture (GStreamer) and the tiny
 * model: the demo line's washer station split into its parts by the station detector; parts of a free-running camera
 * grabbed on the PLC's MQTT triggers (sent with the `plc` role), a retained and a redelivered trigger refused; a
 * part whose camera sends no frame decided by the fail-safe, at its timeout and at a stop; each decision on `part`
 * (and `part/reject`), in the metrics and in the evidence archive. The subscriber is there before the service
 * starts, so it sees every message.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { parseConfig } from '../../src/config.js';
import { readLineTruth } from '../../src/evaluation/line.js';
import { findEvidence } from '../../src/evidence/archive.js';
import { loggerFrom, silentLogger } from '../../src/log.js';
import { packageRoot } from '../../src/package-root.js';
import { startService, type Service } from '../../src/service.js';
import { triggerTopic } from '../../src/sinks/topics.js';
import { statePaths } from '../../src/state-dir.js';
import type { PartVerdict, Verdict } from '../../src/types.js';
import { repoRoot } from '../setup/paths.js';
import { tinyModels } from '../setup/tiny-model.js';
import { freePort } from '../support/free-port.js';
import { subscribe, type Subscriber } from '../support/subscriber.js';

const prefix = 'uniad/parts';
const truth = readLineTruth(join(packageRoot, 'models/demo/line.json')).stations.find((s) => s.product === 'washer')!;
const seqOf = (verdictId: string) => Number(verdictId.split(':').at(-1));

/** Polls `read` until `done` says yes; fails with what it read last. */
async function until<T>(what: string, read: () => T, done: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms; last seen ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('parts in the service', () => {
  let broker: EmbeddedBroker;
  let sub: Subscriber;
  let plc: MqttClient;
  let service: Service;
  let stateDir: string;
  const warnings: { msg: string; code?: unknown }[] = [];

  const parts = () => sub.json<PartVerdict>('part');
  const partOf = (id: string) => parts().find((p) => p.id === id);
  const trigger = (camera: string, payload: string, retain = false) => plc.publishAsync(triggerTopic(prefix, 'l1', camera), payload, { qos: 1, retain });

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'uniad-parts-'));
    broker = await startEmbeddedBroker(
      {
        host: '127.0.0.1',
        port: 0,
        wsPort: 0,
        users: [
          { username: 'svc', password: 'svc-secret', role: 'service' },
          { username: 'line-plc', password: 'plc-secret', role: 'plc' },
          { username: 'view', password: 'view-secret', role: 'viewer' },
        ],
      },
      silentLogger,
      { prefix, serviceClientId: 'uniad-edge-parts' },
    );
    sub = await subscribe(broker.url, [`${prefix}/#`], { username: 'view', password: 'view-secret' });
    plc = await mqtt.connectAsync(broker.url, { username: 'line-plc', password: 'plc-secret', reconnectPeriod: 200 });
    // a trigger left retained on the broker: the service gets it on subscribing, and must not take it for a part
    await trigger('grab', '{"partId":"stale"}', true);
    const dead = `rtsp://127.0.0.1:${await freePort()}/nothing`;
    const deadPlc = await freePort();
    const cfg = parseConfig({
      site: 'parts',
      node: 'parts',
      stateDir,
      cameras: [
        { id: 'washer', line: 'l1', product: 'washer', allowUnknownProduct: true, threshold: 0.6, source: join(packageRoot, 'models/demo/line/washer.mp4'), parts: { detector: { kind: 'station', frames: 3 } } },
        { id: 'grab', line: 'l1', product: 'bolt', source: 'test:white', fps: 5, parts: { signal: { kind: 'mqtt' }, frames: 2 } },
        { id: 'dead', line: 'l1', product: 'bolt', source: dead, parts: { signal: { kind: 'mqtt' }, frameTimeoutMs: 300 } },
        { id: 'stopping', line: 'l1', product: 'bolt', source: dead, parts: { signal: { kind: 'mqtt' }, frameTimeoutMs: 600_000 } },
        { id: 'blind', line: 'l1', product: 'bolt', source: 'test:black', fps: 2, parts: { signal: { kind: 'modbus', host: '127.0.0.1', port: deadPlc, counterRegister: 0 } } },
      ],
      model: { path: tinyModels.ok, providers: ['cpu'], batchMaxSize: 8, batchMaxWaitMs: 10, deadlineMs: 30_000 },
      mqtt: { url: broker.url, username: 'svc', password: 'svc-secret', clientId: 'uniad-edge-parts', queue: { store: 'memory' }, heatmaps: { minIntervalMs: 0 } },
      dashboard: { host: '127.0.0.1', port: 0, page: false },
      log: { statsIntervalSeconds: 0 },
    });
    service = await startService(cfg, { logger: loggerFrom((level, msg, fields) => level === 'warn' && warnings.push({ msg, code: fields?.['code'] })) });
  }, 60_000);

  afterAll(async () => {
    await service?.stop('test end');
    await plc?.endAsync(true);
    await sub?.close();
    await broker?.close();
  });

  it("should split the demo line's washer station into its parts, deciding each at its third frame, its frames' verdicts naming it", async () => {
    const detected = await until('8 washer parts', () => parts().filter((p) => p.camera === 'washer'), (ps) => ps.length >= truth.parts.length);
    expect(detected.map((p) => p.verdictIds.map(seqOf))).toEqual(truth.parts.map((p) => [p.first_frame, p.first_frame + 1, p.first_frame + 2]));
    const run = detected[0]!.partId.split(':')[0];
    expect(detected.map((p) => [p.id, p.partId, p.source])).toEqual(truth.parts.map((_, i) => [`washer:part:${run}:${i + 1}`, `${run}:${i + 1}`, 'detector']));
    // each part's time is its first frame's
    const verdicts = sub.json<Verdict>('verdict').filter((v) => v.camera === 'washer');
    for (const p of detected) expect(p.signalAt).toBe(verdicts.find((v) => v.id === p.verdictIds[0])!.capturedAt);
    const tagged = new Map(verdicts.map((v) => [v.seq, v.partId]));
    for (const [i, p] of truth.parts.entries()) {
      expect([0, 1, 2, 3, 4].map((k) => tagged.get(p.first_frame + k))).toEqual([`${run}:${i + 1}`, `${run}:${i + 1}`, `${run}:${i + 1}`, undefined, undefined]);
    }
    // the tiny model scores these frames far above the default threshold: every part is rejected, on part/reject too
    expect(detected.every((p) => p.reject && p.reason === 'anomaly')).toBe(true);
    // part/reject is a message of its own, sent after the part's: it may arrive a moment later
    const rejected = await until('the washer parts on part/reject', () => sub.json<PartVerdict>('part/reject').filter((p) => p.camera === 'washer'), (ps) => ps.length >= detected.length);
    expect(rejected.map((p) => p.id)).toEqual(detected.map((p) => p.id));
  });

  it("should grab the next frames after a PLC's trigger for its part, once, and refuse a retained trigger", async () => {
    await trigger('grab', '{"partId": 1234, "at": 1}');
    const part = await until('part 1234', () => partOf('grab:part:1234'), (p) => p !== undefined);
    expect(part).toMatchObject({ partId: '1234', camera: 'grab', line: 'l1', product: 'bolt', reject: true, reason: 'anomaly', score: 1, threshold: 0.5, source: 'trigger', model: service.modelId });
    expect(part!.verdictIds).toHaveLength(2);
    const verdicts = sub.json<Verdict>('verdict').filter((v) => part!.verdictIds.includes(v.id));
    expect(verdicts.map((v) => v.partId)).toEqual(['1234', '1234']);
    // "at" of 1 (epoch 1970) is taken as the PLC's time: the part's signal time, from which the decision is timed
    expect(part!.signalAt).toBe(1);

    // a redelivery (QoS 1 is at least once) makes no second part, a new id does
    await trigger('grab', '{"partId": "1234"}');
    await trigger('grab', '{"partId": "1235"}');
    await until('part 1235', () => partOf('grab:part:1235'), (p) => p !== undefined);
    expect(parts().filter((p) => p.partId === '1234')).toHaveLength(1);
    expect(parts().some((p) => p.partId === 'stale')).toBe(false);
    expect(warnings).toContainEqual({ msg: `parts: the trigger on ${triggerTopic(prefix, 'l1', 'grab')} is refused: a retained trigger is refused: it would start a part on every reconnect (publish it with retain false)`, code: 'TRIGGER_REFUSED' });
  });

  it('should decide a part whose camera sends no frame by the fail-safe at its timeout, never leave it silent', async () => {
    const sent = Date.now();
    await trigger('dead', '{"partId": "x1"}');
    const part = await until('part x1', () => partOf('dead:part:x1'), (p) => p !== undefined);
    expect(part).toMatchObject({ reject: true, reason: 'no-frame', verdictIds: [], score: null, threshold: null, product: 'bolt', model: service.modelId });
    expect(part!.decidedAt - part!.signalAt).toBeGreaterThanOrEqual(300);
    expect(part!.signalAt).toBeGreaterThanOrEqual(sent);
    expect(warnings.map((w) => w.msg)).toContain('part decided by the fail-safe');
  });

  it('should say on its status that a camera cannot see its part signal', async () => {
    const status = await until(
      'a degraded status',
      () => sub.messages.filter((m) => m.topic === `${prefix}/status/parts`).map((m) => JSON.parse(m.payload.toString()) as { state: string; causes?: { code: string; message: string }[] }).at(-1),
      (s) => s?.state === 'degraded',
    );
    expect(status!.causes).toContainEqual({ code: 'PART_SIGNAL_LOST', message: expect.stringMatching(/^camera blind: its part signal \(modbus 127\.0\.0\.1:\d+ unit 1\) is lost: .+; parts passing meanwhile get no decision from the service, the actuator rejects them/) });
  });

  it('should count parts by decision and reason, and fail-safe ones, on /metrics', async () => {
    const metrics = await (await fetch(new URL('metrics', service.dashboardUrl!.replace(/\/\/[^:/]+:/, '//127.0.0.1:')))).text();
    expect(metrics).toMatch(/uniad_parts_total\{camera="grab",line="l1",decision="reject",reason="anomaly"\} 2/);
    expect(metrics).toMatch(/uniad_part_fail_safe_total\{camera="dead",line="l1",reason="no-frame"\} 1/);
    expect(metrics).toMatch(/uniad_part_events_total\{camera="grab",line="l1",event="duplicate"\} 1/);
    expect(metrics).toMatch(/uniad_part_decision_seconds_count\{camera="washer",line="l1"\} 8/);
  });

  it('should archive every rejected part, naming its frames, as the evidence command shows', async () => {
    const archive = statePaths(stateDir).archive;
    const dead = await until('evidence of dead:part:x1', () => findEvidence(archive, 'dead:part:x1'), (d) => d !== undefined);
    expect(JSON.parse(readFileSync(join(dead!, 'part.json'), 'utf8'))).toMatchObject({ id: 'dead:part:x1', reason: 'no-frame' });
    const grabbed = partOf('grab:part:1234')!;
    await until('evidence of grab:part:1234', () => findEvidence(archive, 'grab:part:1234'), (d) => d !== undefined);
    const { stdout } = await promisify(execFile)(process.execPath, [join(repoRoot, 'bin/uniad-edge.js'), 'evidence', 'grab:part:1234', '--state-dir', stateDir]);
    expect(stdout).toContain('"id": "grab:part:1234"');
    // its frames were rejected: each has its own evidence, heatmap included
    for (const id of grabbed.verdictIds) {
      const frame = findEvidence(archive, id);
      expect(stdout).toContain(`frame ${id}: ${frame}`);
      expect(existsSync(join(frame!, 'heatmap.png'))).toBe(true);
    }
  });

  it('should decide the parts still open when the service stops, before it says offline', async () => {
    await trigger('stopping', '{"partId": "y1"}');
    // the part is open (its camera sends nothing, its timeout is 10 minutes) once the service has the trigger
    await new Promise((r) => setTimeout(r, 500));
    expect(partOf('stopping:part:y1')).toBeUndefined();
    await service.stop('test: stop with a part open');
    const part = await until('part y1', () => partOf('stopping:part:y1'), (p) => p !== undefined, 5000);
    expect(part).toMatchObject({ reject: true, reason: 'no-frame' });
    const last = sub.messages.filter((m) => m.topic === `${prefix}/status/parts`).at(-1)!;
    expect(JSON.parse(last.payload.toString())).toMatchObject({ state: 'offline' });
    expect(sub.messages.findIndex((m) => m.topic.endsWith('/stopping/part'))).toBeLessThan(sub.messages.lastIndexOf(last));
  });
});
