/**
 * Repeated inference failure in the real service process: every batch outruns `model.runTimeoutMs`, so each worker
 * is abandoned and replaced (with backoff) — the service keeps deciding every frame with fail-safe `error` verdicts
 * and says `degraded`, with the reason, on its retained status topic instead of crash-looping.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/types.js';
import { tinyModels } from '../setup/tiny-model.js';
import { subscribe } from '../support/subscriber.js';
import { startServiceProcess, writeConfig } from './service-process.js';

describe('inference faults, service process', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'uniad-degraded-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should publish degraded with its cause and keep giving every frame a fail-safe verdict while runs keep failing', async () => {
    const svc = startServiceProcess(
      writeConfig(dir, 'degraded.yaml', {
        node: 'degraded',
        cameras: [{ id: 'cam1', line: 'line1', product: 'bolt', source: 'test:ball', fps: 60 }],
        // batches of 8 frames of the slow model against the shortest run timeout the config takes (10 ms): every run
        // fails on any machine — a batch is 8.4 G multiply-adds on one thread, more than 50 ms on any CPU core (a
        // 4.5 GHz core with two AVX-512 FMA units peaks at 144 G/s); ~80 ms here
        model: { path: tinyModels.slow, providers: ['cpu'], threads: 1, batchMaxSize: 8, batchMaxWaitMs: 1000, runTimeoutMs: 10 },
        embeddedBroker: { port: 0, wsPort: 0 },
        dashboard: { enabled: false },
      }),
      dir,
    );
    const { url } = await svc.waitForLog('embedded broker listening');
    const sub = await subscribe(url as string, ['uniad/site/status/degraded', 'uniad/site/line1/cam1/verdict']);
    const degraded = () => sub.json<{ state: string }>('status/degraded').some((s) => s.state === 'degraded');
    const waitUntil = Date.now() + 20_000;
    while (!degraded() && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 50));
    const stop = await svc.stop();
    const status = sub.json<{ state: string; causes?: { code: string; message: string }[] }>('status/degraded');
    const verdicts = sub.json<Verdict>('verdict');
    const stopped = svc.logs.find((l) => l.msg === 'stopped')!;
    console.log(`degraded: statuses ${status.map((s) => s.state).join(' → ')} (${JSON.stringify(status.find((s) => s.state === 'degraded')?.causes)}); ${verdicts.length} verdicts, all error: ${verdicts.every((v) => v.reason === 'error')}; ${JSON.stringify(stopped)}; SIGTERM exit ${stop.code} in ${stop.ms} ms`);
    // online (retained, and maybe live too) until the third failure in a row, then degraded with the last failure
    const states = status.map((s) => s.state).filter((s, i, a) => s !== a[i - 1]);
    expect(states.slice(0, 2)).toEqual(['online', 'degraded']);
    expect(status.find((s) => s.state === 'degraded')?.causes).toEqual([
      {
        code: 'INFERENCE_FAILING',
        message: 'inference: 3 failures in a row, the last: a batch of 8 frames ran longer than 10 ms; the worker is replaced; every frame gets a fail-safe "error" verdict until a run succeeds (see the log; check the model and the machine\'s memory)',
      },
    ]);
    expect(verdicts.length).toBeGreaterThan(0);
    expect(verdicts.every((v) => v.reason === 'error' && v.reject && v.score === null)).toBe(true);
    expect(stopped['inferenceRestarts']).toBeGreaterThanOrEqual(2);
    expect(stop.code).toBe(0);
    expect(svc.stderr()).not.toMatch(/unhandled|uncaught|Napi::Error/i);
    await sub.close();
  });
});
