/**
 * Item 6 of issue 9, the running service: a camera password and broker passwords with `#`, `@`, `%` and `/` must
 * reach a real RTSP server that asks for them (frames arrive), be refused there when wrong (the capture process and
 * GStreamer report the failure), and appear in no byte the service writes or serves: its log, what its capture
 * processes and GStreamer relay, and every HTTP route (page, settings, history, metrics, health, readiness).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyModels } from '../setup/tiny-model.js';
import { testVideo } from '../setup/video.js';
import { freePort } from '../support/free-port.js';
import { startRtspServer, type RtspServer } from '../support/rtsp.js';
import { startServiceProcess, writeConfig } from './service-process.js';

const cameraUser = 'cam-user';
const cameraPassword = 'c#m@p%ss/wd';
const operatorPassword = 'op#p@ss%/w';
const servicePassword = 'sv#c@s%/e';
const secrets = [cameraPassword, operatorPassword, servicePassword];
/** Every form of a secret that must never appear: raw, percent-encoded, and its middle (a partly masked form). */
const leaks = (text: string) => secrets.flatMap((s) => [s, encodeURIComponent(s), s.slice(2, -2)]).filter((form) => text.includes(form));

describe('secrets in a running service', () => {
  let dir: string;
  let rtsp: RtspServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uniad-secrets-svc-'));
    rtsp = await startRtspServer(testVideo.path, 0, 10_000, { user: cameraUser, password: cameraPassword });
  });
  afterAll(async () => {
    await rtsp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should use the camera password, report a wrong one, and never show either or the broker passwords', async () => {
    const httpPort = await freePort();
    const source = (password: string) => `rtsp://${cameraUser}:${encodeURIComponent(password)}@127.0.0.1:${rtsp.port}/cam`;
    const path = writeConfig(dir, 'secrets.yaml', {
      node: 'secrets',
      cameras: [
        { id: 'good', line: 'line1', product: 'bolt', source: source(cameraPassword), loop: true },
        { id: 'wrong', line: 'line1', product: 'bolt', source: source(`${cameraPassword}x`) },
      ],
      model: { path: tinyModels.ok, providers: ['cpu'], threads: 1 },
      mqtt: { queue: { store: 'memory' } },
      embeddedBroker: {
        port: 0,
        wsPort: 0,
        username: 'svc',
        password: servicePassword,
        users: [{ username: 'line-ops', password: operatorPassword, role: 'operator' }],
      },
      dashboard: { port: httpPort },
      log: { level: 'debug' },
    });
    const svc = startServiceProcess(path, dir);
    try {
      await svc.waitForLog('camera pipeline error', 60_000, (l) => l['camera'] === 'wrong');
      await svc.waitForLog('restarting camera capture', 60_000, (l) => l['camera'] === 'wrong');
      // frames of the good camera get scored: the password reached the server as it was meant
      const goodFrames = /uniad_frames_total\{[^}]*camera="good"[^}]*\} [1-9]/;
      for (let tries = 0; !goodFrames.test(await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()); tries++) {
        if (tries > 300) throw new Error(`no frame from the good camera in 60 s:\n${svc.stderr().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const served: string[] = [];
      for (const route of ['/', '/app.js', '/settings.json', '/history.json', '/metrics', '/healthz', '/readyz']) {
        const res = await fetch(`http://127.0.0.1:${httpPort}${route}`);
        served.push(`${route} ${res.status}\n${await res.text()}`);
      }
      expect(leaks(served.join('\n'))).toEqual([]);
    } finally {
      await svc.stop();
    }
    const output = svc.stderr();
    expect(output).toMatch(/"camera":"wrong"/);
    expect(leaks(output)).toEqual([]);
  });
});
