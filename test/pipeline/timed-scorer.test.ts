import { describe, expect, it } from 'vitest';
import type { Scorer } from '../../src/pipeline/inspect.js';
import { timedScorer } from '../../src/pipeline/timed-scorer.js';
import type { Frame, ModelSidecar } from '../../src/types.js';

const sidecar = { name: 'm', version: '1' } as ModelSidecar;
const frames = [{ camera: 'a' }, { camera: 'b' }] as Frame[];

describe('timedScorer', () => {
  it('should report batch size and duration of each run, failed runs included', async () => {
    let t = 0;
    const runs: Array<[number, number]> = [];
    let fail = false;
    const inner: Scorer = {
      modelId: 'm@1',
      sidecar,
      run: async (f) => {
        t += 40;
        if (fail) throw new Error('worker died');
        return f.map(() => ({ score: 0, anomalyMap: new Float32Array(1), mapWidth: 1, mapHeight: 1 }));
      },
    };
    const timed = timedScorer(inner, (n, s) => runs.push([n, s]), () => t);
    expect(timed.modelId).toBe('m@1');
    expect(await timed.run(frames)).toHaveLength(2);
    fail = true;
    await expect(timed.run(frames.slice(1))).rejects.toThrow('worker died');
    expect(runs).toEqual([
      [2, 0.04],
      [1, 0.04],
    ]);
  });
});
