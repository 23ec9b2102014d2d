/** EngineSupervisor's bookkeeping with stand-in engines whose runs the test finishes by hand (real workers: test/faults). */
import { describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/log.js';
import type { EngineExit } from '../../src/pipeline/engine.js';
import { EngineSupervisor, type SupervisedEngine } from '../../src/pipeline/supervisor.js';
import type { Inference, ModelSidecar } from '../../src/types.js';
import { makeFrame } from './frames.js';

const sidecar: ModelSidecar = { name: 'stand-in', version: '1', input: { height: 64, width: 64 }, classes: ['bolt'], thresholds: {}, defaultThreshold: 0.5, backbone: 'none' };

/** An engine whose runs hang until `finish()`; close() lets the hung run return first, as the real worker does. */
function standIn(hangs: boolean) {
  let exit!: (e: EngineExit) => void;
  const exited = new Promise<EngineExit>((resolve) => (exit = resolve));
  const pending: (() => void)[] = [];
  let alive = true;
  const engine: SupervisedEngine = {
    modelId: 'stand-in@1',
    sidecar,
    provider: 'cpu',
    exited,
    get alive() {
      return alive;
    },
    run: (frames) =>
      hangs
        ? new Promise<Inference[]>((resolve) => pending.push(() => resolve([])))
        : Promise.resolve(frames.map(() => ({ score: 0, anomalyMap: new Float32Array(1), mapWidth: 1, mapHeight: 1 }))),
    close: async () => {
      alive = false;
      if (pending.length === 0) exit({ reason: 'closed' });
      await exited;
    },
  };
  const finish = () => {
    pending.splice(0).forEach((p) => p());
    if (!alive) exit({ reason: 'closed' });
  };
  return { engine, finish };
}

describe('EngineSupervisor', () => {
  it('should refuse to swap in a model of another input size, keeping the one it has', async () => {
    const current = standIn(false);
    const other = standIn(false);
    const bigger = { ...other.engine, modelId: 'bigger@1', sidecar: { ...sidecar, input: { height: 128, width: 128 } } };
    const supervisor = new EngineSupervisor(current.engine, { open: async () => current.engine, logger: silentLogger });
    await expect(supervisor.replace(async () => bigger)).rejects.toMatchObject({
      code: 'MODEL_INPUT_SIZE',
      message: 'inference: the model bigger@1 takes 128x128, the cameras deliver 64x64 (restart the service to change the input size)',
    });
    expect(supervisor.modelId).toBe('stand-in@1');
    await expect(supervisor.run([makeFrame()])).resolves.toHaveLength(1);
    await supervisor.close();
  });

  it('should start no new worker while maxHung abandoned ones have not returned, and one as soon as one returns', async () => {
    const first = standIn(true);
    const second = standIn(true);
    const third = standIn(false);
    const opened = [second, third];
    const open = vi.fn(async () => opened.shift()!.engine);
    const supervisor = new EngineSupervisor(first.engine, { open, logger: silentLogger, runTimeoutMs: 20, maxHung: 2, restart: { initialMs: 10, maxMs: 10, factor: 1 } });

    await expect(supervisor.run([makeFrame()])).rejects.toMatchObject({ code: 'INFERENCE', message: expect.stringMatching(/ran longer than 20 ms/) });
    await vi.waitUntil(() => open.mock.calls.length === 1);
    await expect(supervisor.run([makeFrame()])).rejects.toThrow(/ran longer than 20 ms/);
    await new Promise((r) => setTimeout(r, 200)); // many backoff periods: still no third worker
    expect(open).toHaveBeenCalledTimes(1);
    await expect(supervisor.run([makeFrame()])).rejects.toMatchObject({ code: 'INFERENCE_RESTARTING', message: expect.stringMatching(/no inference worker while it restarts/) });

    first.finish(); // the first hung run returns, its worker closes
    await vi.waitUntil(() => open.mock.calls.length === 2);
    await vi.waitUntil(async () => (await supervisor.run([makeFrame()]).then(() => true, () => false)), { timeout: 1000 });
    expect(supervisor.stats()).toMatchObject({ restarts: 2 });
    second.finish();
    await supervisor.close();
  });

  it('should turn degraded after degradedAfter failures in a row and healthy after the next successful run', async () => {
    const flaky = standIn(false);
    let fail = true;
    const engine: SupervisedEngine = { ...flaky.engine, alive: true, run: (frames) => (fail ? Promise.reject(new Error('CUDA error')) : flaky.engine.run(frames)) };
    const health: string[] = [];
    const supervisor = new EngineSupervisor(engine, { open: async () => engine, logger: silentLogger, degradedAfter: 2, onHealth: (h) => health.push(h.state === 'degraded' ? `degraded: ${h.reason}` : h.state) });
    await expect(supervisor.run([makeFrame()])).rejects.toThrow('CUDA error');
    expect(health).toEqual([]);
    await expect(supervisor.run([makeFrame()])).rejects.toThrow('CUDA error');
    fail = false;
    await supervisor.run([makeFrame()]);
    expect(health).toEqual(['degraded: inference run failed: CUDA error', 'healthy']);
  });
});
