/**
 * Bad input to the real service process: each is a clear message naming the thing and the fix — a refusal at start
 * (exit 1) for what cannot work (config, model), a logged, retried camera fault for what may heal (a source) — and
 * never an unhandled exception or a hang. Secrets (MQTT and camera passwords) never reach the log.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyModels } from '../setup/tiny-model.js';
import { testVideo } from '../setup/video.js';
import { subscribe } from '../support/subscriber.js';
import { startServiceProcess, writeConfig, type LogLine } from './service-process.js';

const model = { path: tinyModels.ok, providers: ['cpu'], threads: 1 };
const camera = (id: string, source: string) => ({ id, line: 'line1', product: 'bolt', source });
/** The embedded broker on free loopback ports, no dashboard: several services may run side by side. */
const quiet = { embeddedBroker: { port: 0, wsPort: 0 }, dashboard: { enabled: false } };

describe('bad input, service process', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'uniad-bad-input-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs a config that must be refused: its exit and stderr, within 30 s. */
  async function refused(name: string, config: unknown) {
    const svc = startServiceProcess(writeConfig(dir, name, config), dir);
    const exit = await Promise.race([svc.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${name}: still running after 30 s`)), 30_000))]);
    return { exit, stderr: svc.stderr() };
  }

  it('should refuse a config with wrong types and unknown keys, naming every field and the fix', async () => {
    const { exit, stderr } = await refused('types.yaml', {
      cameras: [{ ...camera('cam1', testVideo.path), watchdogSecs: 5, fps: 'fast' }],
      model: { ...model, deadlineMs: '2s' },
      mqtt: { queue: { store: 'cloud' } },
    });
    expect(exit).toEqual({ code: 1, signal: null });
    expect(stderr).toContain('cameras[0]: unknown key "watchdogSecs" (remove, or check the spelling against config.example.yaml)');
    expect(stderr).toContain('cameras[0].fps: expected number, got string');
    expect(stderr).toContain('model.deadlineMs: expected number, got string');
    expect(stderr).toContain('mqtt.queue.store: "cloud" is not one of "disk", "memory"');
    expect(stderr).not.toMatch(/unexpected error|Unhandled|uncaught|\n\s+at /);
  });

  it.each([
    ['nchw', /does not follow the model contract: .*image/],
    ['fixedBatch', /does not follow the model contract: /],
    ['notOnnx', /is not a loadable ONNX model/],
  ] as const)('should refuse a model that is %s, naming the file', async (variant, why) => {
    const { exit, stderr } = await refused(`${variant}.yaml`, { cameras: [camera('cam1', testVideo.path)], model: { ...model, path: tinyModels[variant] }, ...quiet });
    expect(exit.code).toBe(1);
    expect(stderr).toContain(`uniad-edge: model: "${tinyModels[variant]}"`);
    expect(stderr).toMatch(why);
    expect(stderr).not.toMatch(/unexpected error|Unhandled|uncaught/);
  });

  it('should refuse a model file that is missing, naming it', async () => {
    const { exit, stderr } = await refused('missing.yaml', { cameras: [camera('cam1', testVideo.path)], model: { ...model, path: join(dir, 'nope.onnx') }, ...quiet });
    expect(exit.code).toBe(1);
    expect(stderr).toBe(`uniad-edge: model: cannot read "${join(dir, 'nope.onnx')}": no such file\n`);
  });

  it('should retry truncated, corrupt, missing and unreachable sources, naming each and what to check, while a good camera goes on; SIGTERM exits 0', async () => {
    const truncated = join(dir, 'truncated.mp4');
    writeFileSync(truncated, readFileSync(testVideo.path).subarray(0, statSync(testVideo.path).size / 2));
    const corrupt = join(dir, 'corrupt.mp4');
    writeFileSync(corrupt, Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 251)));
    const bad = { truncated, corrupt, missing: join(dir, 'missing.mp4'), unreachable: 'rtsp://127.0.0.1:9/cam' };
    const cfg = writeConfig(dir, 'sources.yaml', {
      node: 'sources',
      cameras: [...Object.entries(bad).map(([id, source]) => camera(id, source)), camera('good', 'test:ball')],
      model,
      ...quiet,
    });
    const svc = startServiceProcess(cfg, dir);
    const { url } = await svc.waitForLog('embedded broker listening');
    const sub = await subscribe(url as string, ['uniad/site/line1/good/verdict']);
    const errors = (id: string) => svc.logs.filter((l) => l.msg === 'camera pipeline error' && l['camera'] === id);
    const restarts = (id: string) => svc.logs.filter((l) => l.msg === 'restarting camera capture' && l['camera'] === id).length;
    const t0 = Date.now();
    while (!(Object.keys(bad).every((id) => restarts(id) >= 2) && sub.on('verdict').length > 50) && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 100));
    const waitedMs = Date.now() - t0;
    const stop = await svc.stop();
    for (const [id, source] of Object.entries(bad)) {
      console.log(`${id}: ${restarts(id)} restarts in ${waitedMs} ms; "${errors(id)[0]?.['error']}"`);
      expect(errors(id)[0]).toMatchObject({ level: 'error', source, fix: expect.stringMatching(/^check .*; retrying with backoff$/) });
      expect(restarts(id)).toBeGreaterThanOrEqual(2);
    }
    expect(errors('truncated')[0]!['fix']).toContain('a truncated MP4 lacks its index');
    expect(sub.on('verdict').length).toBeGreaterThan(50); // the good camera did not notice
    console.log(`good camera: ${sub.on('verdict').length} verdicts meanwhile; SIGTERM exit ${stop.code} in ${stop.ms} ms`);
    expect(stop).toMatchObject({ code: 0, signal: null });
    expect(stop.ms).toBeLessThan(10_000);
    expect(svc.stderr()).not.toMatch(/unexpected error|unhandled|uncaught/i);
    await sub.close();
  });

  it('should never log a secret: embedded broker credentials, an MQTT URL password, an RTSP camera password', async () => {
    const secrets = ['S3cret-embedded', 'S3cret-camera', 'S3cret-url', 'S3cret-field'];
    const embedded = startServiceProcess(
      writeConfig(dir, 'secret-embedded.yaml', {
        node: 'secrets',
        cameras: [camera('good', 'test:ball'), camera('cam', 'rtsp://viewer:S3cret-camera@127.0.0.1:9/cam')],
        model,
        log: { level: 'debug' },
        embeddedBroker: { port: 0, wsPort: 0, username: 'line-op', password: 'S3cret-embedded' },
        dashboard: { enabled: false },
      }),
      dir,
    );
    const { url } = await embedded.waitForLog('embedded broker listening');
    expect(url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/); // loopback unless configured otherwise
    // the embedded broker requires the credentials: refused without, verdicts with
    await expect(subscribe(url as string, ['#'], { reconnectPeriod: 0 })).rejects.toThrow(/Not authorized|Bad username or password/i);
    const sub = await subscribe(url as string, ['uniad/site/line1/good/verdict'], { username: 'line-op', password: 'S3cret-embedded' });
    await sub.waitFor(5, 'verdict');
    await embedded.waitForLog('camera pipeline error', 10_000, (l) => l['camera'] === 'cam');
    await sub.close();

    const external = startServiceProcess(
      writeConfig(dir, 'secret-url.yaml', {
        node: 'secrets2',
        cameras: [camera('good', 'test:ball')],
        model,
        log: { level: 'debug' },
        mqtt: { url: 'mqtt://op:S3cret-url@127.0.0.1:9' },
      }),
      dir,
    );
    await external.waitForLog('mqtt: error', 15_000);
    // credentials given twice (URL and fields) that differ are refused, showing neither
    const twice = await refused('secret-twice.yaml', { cameras: [camera('good', 'test:ball')], model, mqtt: { url: 'mqtt://op:S3cret-url@127.0.0.1:9', username: 'op', password: 'S3cret-field' } });
    expect(twice.exit.code).toBe(1);
    expect(twice.stderr).toContain('mqtt.url: has a user name and password that differ from mqtt.username/mqtt.password (give the credentials once: remove them from the URL and keep the fields)');
    const logs = [await embedded.stop(), await external.stop()].map((exit, i) => ({ exit, text: [embedded, external][i]!.stderr() }));
    const all = logs.map((l) => l.text).join('') + twice.stderr;
    const leaks = secrets.filter((s) => all.includes(s));
    const lines = all.split('\n').length;
    console.log(`secrets: ${lines} log lines at debug level searched for ${secrets.length} secrets: ${leaks.length} found`);
    expect(leaks).toEqual([]);
    expect(logs.map((l) => l.exit.code)).toEqual([0, 0]);
    expect(external.logs.some((l: LogLine) => typeof l['url'] === 'string' && (l['url'] as string).startsWith('mqtt://127.0.0.1:9'))).toBe(true);
  });
});

