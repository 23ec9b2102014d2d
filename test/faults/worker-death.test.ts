/**
 * Inference faults against real workers (tiny contract models, onnxruntime-node): a worker that dies or hangs gives
 * its frames fail-safe `error` verdicts, is replaced, and later frames are decided normally; a model that keeps
 * failing turns the health `degraded` (published on the status topic) instead of crash-looping.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { interval, map, Subscription, take } from 'rxjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startEmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { silentLogger } from '../../src/log.js';
import { InferenceEngine } from '../../src/pipeline/engine.js';
import { inspect } from '../../src/pipeline/inspect.js';
import { EngineSupervisor, type EngineHealth, type SupervisorOptions } from '../../src/pipeline/supervisor.js';
import { MqttSink } from '../../src/sinks/mqtt-sink.js';
import { StatusCauses } from '../../src/sinks/status-causes.js';
import type { Decision } from '../../src/types.js';
import { makeFrame } from '../pipeline/frames.js';
import { tinyModels } from '../setup/tiny-model.js';
import { mqttConfig, nodeInfo } from '../sinks/fixtures.js';
import { subscribe } from '../support/subscriber.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A copy of a tiny model (and its sidecar) the test may break and mend. */
function modelCopy(model: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'uniad-worker-'));
  dirs.push(dir);
  const path = join(dir, 'model.onnx');
  copyFileSync(model, path);
  copyFileSync(model.replace(/\.onnx$/, '.json'), join(dir, 'model.json'));
  return path;
}

/** A supervisor whose engines the test can reach: `engines` holds every worker it opened, the first included. */
async function supervised(modelPath: string, extra: Partial<SupervisorOptions> = {}) {
  const engines: InferenceEngine[] = [];
  const open = async () => {
    const e = await InferenceEngine.open({ modelPath, providers: ['cpu'], threads: 1 });
    engines.push(e);
    return e;
  };
  const health: EngineHealth[] = [];
  const supervisor = new EngineSupervisor(await open(), { open, logger: silentLogger, restart: { initialMs: 50, maxMs: 200, factor: 2 }, onHealth: (h) => health.push(h), ...extra });
  return { supervisor, engines, health };
}

/**
 * Frames of one camera every `everyMs`, through inspect on `supervisor`, collected as they come. `onDecision` runs
 * synchronously as each decision is emitted: right after its run returned, when the worker is idle (inspect runs
 * one batch at a time), so the test can end the worker there without terminating it inside session.run, which
 * aborts the process (engine.ts).
 */
function stream(supervisor: EngineSupervisor, n: number, everyMs: number, onDecision: (count: number) => void) {
  const decisions: Decision[] = [];
  let done = false;
  const sub: Subscription = interval(everyMs)
    .pipe(
      take(n),
      map((seq) => makeFrame({ seq })),
      inspect(supervisor, { batchMaxSize: 4, batchMaxWaitMs: 5, deadlineMs: 5000, failSafe: 'reject', thresholdFor: () => 0.5, runId: 'w', maxQueuedPerCamera: 64 }),
    )
    .subscribe({ next: (d) => onDecision(decisions.push(d)), complete: () => (done = true) });
  return { decisions, finished: () => vi.waitUntil(() => done, { timeout: 20_000, interval: 20 }), sub };
}

const reasonsOf = (ds: readonly Decision[]) => ds.map((d) => d.verdict.reason);
const seqs = (ds: readonly Decision[]) => ds.map((d) => d.frame.seq).sort((a, b) => a - b);

describe('inference worker faults', () => {
  it('should give error verdicts for the frames of a worker that dies, restart it, and decide later frames normally', async () => {
    const { supervisor, engines, health } = await supervised(tinyModels.ok);
    const s = stream(supervisor, 80, 15, (count) => count === 10 && void engines[0]!.terminate());
    await s.finished();
    const reasons = reasonsOf(s.decisions);
    const errors = reasons.filter((r) => r === 'error').length;
    const firstError = reasons.indexOf('error');
    console.log(`worker death: ${s.decisions.length} decisions, ${errors} error verdicts, restarts ${supervisor.stats().restarts}`);
    expect(seqs(s.decisions)).toEqual(Array.from({ length: 80 }, (_, i) => i));
    expect(reasons.slice(0, 10).every((r) => r === 'ok')).toBe(true);
    expect(errors).toBeGreaterThan(0);
    expect(s.decisions.filter((d) => d.verdict.reason === 'error').every((d) => d.verdict.reject && d.verdict.score === null)).toBe(true);
    // decided normally again after the restart
    expect(reasons.slice(reasons.lastIndexOf('error') + 1).length).toBeGreaterThan(10);
    expect(reasons.slice(reasons.lastIndexOf('error') + 1).every((r) => r === 'ok')).toBe(true);
    expect(firstError).toBe(10);
    expect(supervisor.stats()).toEqual({ restarts: 1, health: { state: 'healthy' } });
    expect(engines).toHaveLength(2);
    expect(health).toEqual([]); // one death is not degraded
    await supervisor.close();
  });

  it('should replace a worker hung in a run longer than runTimeoutMs without terminating it, failing only that batch', async () => {
    const { supervisor, engines } = await supervised(tinyModels.slow, { runTimeoutMs: 150 });
    // 32 frames in one batch (~320 ms on the slow model) hang past 150 ms; single frames (~10 ms) do not.
    const big = Array.from({ length: 32 }, (_, seq) => makeFrame({ seq }));
    await expect(supervisor.run(big)).rejects.toThrow(/ran longer than 150 ms; the worker is replaced/);
    await expect(supervisor.run([makeFrame()])).rejects.toThrow(/no inference worker while it restarts/);
    await vi.waitUntil(() => engines.length === 2 && engines[1]!.alive, { timeout: 5000 });
    expect(await supervisor.run([makeFrame()])).toHaveLength(1);
    expect(supervisor.stats().restarts).toBe(1);
    // the hung worker was asked to close behind its run, and did: this process was not aborted
    expect(await engines[0]!.exited).toEqual({ reason: 'closed' });
    await supervisor.close();
  });

  it('should report degraded with the reason while the model cannot be reloaded, error verdicts meanwhile, and recover', async () => {
    const modelPath = modelCopy(tinyModels.ok);
    const { supervisor, engines, health } = await supervised(modelPath);
    writeFileSync(modelPath, 'this is not an ONNX model'); // e.g. a half-copied model update
    await engines[0]!.terminate(); // idle: no run in flight
    await vi.waitUntil(() => health.length === 1, { timeout: 5000 });
    expect(health[0]).toMatchObject({ state: 'degraded', failures: 3, reason: expect.stringMatching(/^reloading the model failed: model: ".*model\.onnx" is not a loadable ONNX model/) });
    const during = await supervisor.run([makeFrame()]).catch((e: Error) => e.message);
    expect(during).toMatch(/no inference worker while it restarts \(after: reloading the model failed/);

    copyFileSync(tinyModels.ok, modelPath); // the model is mended; the next reload takes it
    await vi.waitUntil(() => engines.length === 2, { timeout: 5000 });
    expect(await supervisor.run([makeFrame()])).toHaveLength(1);
    expect(health).toEqual([health[0], { state: 'healthy' }]);
    console.log(`degraded: ${supervisor.stats().restarts} restarts (failed reloads included) before recovery`);
    await supervisor.close();
  });

  it('should publish degraded with every active cause on the retained status topic, then online again', async () => {
    const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, wsPort: 0 }, silentLogger);
    const prefix = 'uniad/health';
    const sub = await subscribe(broker.url, [`${prefix}/status/+`]);
    const causes = new StatusCauses();
    const sink = new MqttSink({ url: broker.url, mqtt: mqttConfig(prefix), info: nodeInfo('edge-h'), logger: silentLogger, causes });
    await sink.link.ready();
    const reload = { code: 'INFERENCE_FAILING', message: 'inference: 3 failures in a row, the last: reloading the model failed' };
    const nan = { code: 'NON_FINITE_OUTPUT', message: 'inference: model tiny@1.0.0 gives output that is not a finite number for camera cam1' };
    // each change held longer than the status's half a second goes out (changes within it go out as the latest state,
    // test/sinks/status-flap.test.ts)
    await sub.waitFor(1, 'status/edge-h');
    causes.set(reload);
    await sub.waitFor(2, 'status/edge-h');
    causes.set(nan);
    await sub.waitFor(3, 'status/edge-h');
    causes.set(nan); // no change: not published again
    causes.clear('INFERENCE_FAILING');
    await sub.waitFor(4, 'status/edge-h');
    causes.clear('NON_FINITE_OUTPUT');
    await sub.waitFor(5, 'status/edge-h');
    await new Promise((r) => setTimeout(r, 700));
    expect(sub.json('status/edge-h').map((s) => [s['state'], s['causes']])).toEqual([
      ['online', undefined],
      ['degraded', [reload]],
      ['degraded', [reload, nan]],
      ['degraded', [nan]],
      ['online', undefined],
    ]);
    await sink.close();
    await sub.close();
    await broker.close();
  });
});
