import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { sessionOptions } from '../../src/pipeline/session-options.js';
import { tinyModels, tinySize } from '../setup/tiny-model.js';

describe('sessionOptions', () => {
  it('turns intra-op spinning off unless asked, and passes threads through', () => {
    const off = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } };
    expect(sessionOptions('cpu', { threads: 2 })).toEqual({ executionProviders: ['cpu'], intraOpNumThreads: 2, graphOptimizationLevel: 'all', extra: off });
    expect(sessionOptions('cpu', { threads: 0, spinning: false }).extra).toEqual(off);
    expect(sessionOptions('cpu', { threads: 0, spinning: true })).toEqual({ executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  });

  it('gives options onnxruntime accepts: a session with spinning off loads and runs', async () => {
    const session = await InferenceSession.create(tinyModels.ok, sessionOptions('cpu', { threads: 1 }));
    const out = await session.run({ image: new Tensor('uint8', new Uint8Array(tinySize * tinySize * 3), [1, tinySize, tinySize, 3]) });
    expect(out['score']?.dims).toEqual([1]);
    await session.release();
  });
});
