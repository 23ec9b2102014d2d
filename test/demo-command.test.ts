/**
 * `uniad-edge demo` as a person runs it, for 20 s: the shipped demo model and the demo line's station videos (one
 * camera per product), the embedded broker, and Debian's `mosquitto_sub` — an MQTT client no one here wrote —
 * subscribed to `uniad/#`.
 */
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoFiles, demoStations } from '../src/demo.js';
import { repoRoot } from './setup/paths.js';
import { freePort } from './support/free-port.js';

describe('demo command', () => {
  it('runs 20 s, prints verdicts, and mosquitto_sub on the embedded broker receives them', async () => {
    const [port, wsPort, dashboardPort] = [await freePort(), await freePort(), await freePort()];
    const demo = spawn(process.execPath, [join(repoRoot, 'bin/uniad-edge.js'), 'demo', '--seconds', '20', '--port', String(port), '--ws-port', String(wsPort), '--dashboard-port', String(dashboardPort)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, STATE_DIRECTORY: mkdtempSync(join(tmpdir(), 'uniad-demo-state-')) }, // the test's lock, not the machine's
    });
    let stdout = '';
    let stderr = '';
    demo.stdout.on('data', (d: Buffer) => (stdout += d));
    demo.stderr.on('data', (d: Buffer) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => demo.on('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 30_000;
      const check = setInterval(() => {
        if (stderr.includes('"msg":"service started"')) {
          clearInterval(check);
          resolve();
        } else if (Date.now() > deadline) {
          clearInterval(check);
          demo.kill('SIGKILL');
          reject(new Error(`the demo did not log "service started" within 30 s:\n${stderr.slice(-3000)}`));
        }
      }, 100);
      void exited.then(() => {
        clearInterval(check);
        reject(new Error(`demo exited early: ${stderr}`));
      });
    });

    const sub = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-t', 'uniad/#', '-v', '-q', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let received = '';
    sub.stdout.on('data', (d: Buffer) => (received += d.toString('latin1')));
    expect(await exited).toBe(0);
    // the retained `offline` is the demo's last publish: give mosquitto_sub a moment to print it before it goes
    await expect.poll(() => received.includes('{"state":"offline"'), { timeout: 5000, interval: 50 }).toBe(true);
    sub.kill();

    const printed = stdout.trim().split('\n').filter((l) => / demo-line\/\w+ #\d+ /.test(l));
    const verdictLines = received.split('\n').filter((l) => /^uniad\/demo\/demo-line\/\w+\/verdict \{/.test(l));
    const verdicts = verdictLines.map((l) => JSON.parse(l.slice(l.indexOf(' ') + 1)) as { id: string; camera: string; product: string; threshold: number; reason: string });
    expect(printed.length).toBeGreaterThan(50);
    expect(verdicts.length).toBeGreaterThan(50);
    // One camera per station, each inspecting its own product at that product's threshold from the sidecar.
    expect(new Set(verdicts.map((v) => v.camera))).toEqual(new Set(demoStations));
    const thresholds = (JSON.parse(readFileSync(demoFiles.model.replace(/\.onnx$/, '.json'), 'utf8')) as { thresholds: Record<string, number> }).thresholds;
    for (const v of verdicts) {
      expect(v.product).toBe(v.camera);
      expect(v.threshold).toBe(thresholds[v.product]);
    }
    expect(new Set(verdicts.map((v) => v.id)).size).toBe(verdicts.length);
    // the stations' parts, found by the station detector: one decision each, on the part topic
    const parts = received.split('\n').filter((l) => /^uniad\/demo\/demo-line\/\w+\/part \{/.test(l)).map((l) => JSON.parse(l.slice(l.indexOf(' ') + 1)) as { id: string; camera: string; source: string; reason: string; verdictIds: string[] });
    expect(parts.length).toBeGreaterThan(5);
    expect(parts.every((p) => p.source === 'detector' && p.id.startsWith(`${p.camera}:part:`))).toBe(true);
    // a part is decided on the frames taken while it was at the station, 3 at most (`frames`); one the station saw
    // leave early (the video looping, a slow run) has fewer. Every one is a verdict of that camera received here.
    const ids = new Set(verdicts.map((v) => v.id));
    const cut = parts.filter((p) => p.verdictIds.length !== 3);
    expect(parts.every((p) => p.verdictIds.length >= 1 && p.verdictIds.length <= 3 && p.verdictIds.every((id) => id.startsWith(`${p.camera}:`) && ids.has(id))), JSON.stringify(cut)).toBe(true);
    expect(cut.length, JSON.stringify(cut)).toBeLessThan(parts.length / 2);
    expect(new Set(parts.map((p) => p.id)).size).toBe(parts.length);
    expect(received).toMatch(/^uniad\/demo\/status\/demo-edge \{"state":"online"/m);
    expect(received).toMatch(/^uniad\/demo\/status\/demo-edge \{"state":"offline","node":"demo-edge","reason":"closed"/m);
    console.log(`demo: ${printed.length} verdict lines printed, ${verdicts.length} verdicts received by mosquitto_sub, ${verdicts.filter((v) => v.reason === 'anomaly').length} rejects, ${parts.length} parts (${cut.length} on fewer than 3 frames)`);
  }, 60_000);

  it("names the demo's own options, not the config's keys, when its ports are taken", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const demo = spawn(process.execPath, [join(repoRoot, 'bin/uniad-edge.js'), 'demo', '--seconds', '5', '--quiet', ...args], {
          stdio: ['ignore', 'ignore', 'pipe'],
          env: { ...process.env, STATE_DIRECTORY: mkdtempSync(join(tmpdir(), 'uniad-demo-state-')) },
        });
        let stderr = '';
        demo.stderr.on('data', (d: Buffer) => (stderr += d));
        demo.on('exit', (code) => resolve({ code, stderr }));
      });
    try {
      const free = async () => String(await freePort());
      const mqtt = await run(['--port', String(port), '--ws-port', await free(), '--dashboard-port', await free()]);
      expect(mqtt.code, mqtt.stderr).toBe(1);
      expect(mqtt.stderr).toMatch(new RegExp(`cannot listen \\(mqtt\\) on 127\\.0\\.0\\.1:${port}: .*move it with --port;`));
      expect(mqtt.stderr).not.toContain('embeddedBroker');
      // the dashboard does not stop the demo; its log line names the option that moves it
      const dashboard = await run(['--port', await free(), '--ws-port', await free(), '--dashboard-port', String(port)]);
      expect(dashboard.code, dashboard.stderr).toBe(0);
      expect(dashboard.stderr).toContain('"msg":"dashboard not started"');
      expect(dashboard.stderr).toContain('"fix":"free the port, or move it with --dashboard-port"');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  }, 60_000);
});
