import { describe, expect, it } from 'vitest';
import type { UniadError } from '../../src/errors.js';
import { NonFiniteWatch } from '../../src/pipeline/non-finite-watch.js';
import type { Logger } from '../../src/types.js';
import { makeFrame } from './frames.js';

function watch(degradedAfter = 3) {
  const logs: string[] = [];
  const log = (level: string) => (msg: string, f?: Record<string, unknown>) => void logs.push(`${level} ${msg} ${JSON.stringify(f)}`);
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  const causes: (UniadError | undefined)[] = [];
  const w = new NonFiniteWatch({ modelId: () => 'tiny@1.0.0', failSafe: 'reject', logger, degradedAfter, onCause: (c) => causes.push(c) });
  return { w, logs, causes };
}

const nan = 'score is NaN';

describe('NonFiniteWatch', () => {
  it('should log the start of a run of non-finite outputs once, with camera and model, and its end, and count them', () => {
    const { w, logs } = watch(10);
    w.observe(makeFrame({ camera: 'a', seq: 0 }), nan);
    w.observe(makeFrame({ camera: 'a', seq: 1 }), nan);
    w.observe(makeFrame({ camera: 'b', seq: 0 }), undefined);
    w.observe(makeFrame({ camera: 'a', seq: 2 }), undefined);
    expect(logs).toEqual([
      'error model output is not a finite number: fail-safe verdict {"camera":"a","model":"tiny@1.0.0","output":"score is NaN","decision":"reject","seq":0}',
      'info model output is finite again {"camera":"a","model":"tiny@1.0.0","nonFiniteInARow":2}',
    ]);
    expect(w.counts()).toEqual({ a: 2 });
  });

  it('should be degraded while a camera has had N in a row, naming every such camera, and recover when each is finite again', () => {
    const { w, causes } = watch(2);
    w.observe(makeFrame({ camera: 'b' }), nan);
    w.observe(makeFrame({ camera: 'a' }), nan);
    expect(causes).toEqual([]);
    w.observe(makeFrame({ camera: 'b' }), nan);
    expect(causes).toHaveLength(1);
    expect(causes[0]!.code).toBe('NON_FINITE_OUTPUT');
    expect(causes[0]!.message).toMatch(/^inference: model tiny@1\.0\.0 gives output that is not a finite number for camera b \(score is NaN\); those parts get "error" verdicts \(rejected\)/);
    w.observe(makeFrame({ camera: 'b' }), nan); // same cameras: no news
    expect(causes).toHaveLength(1);
    w.observe(makeFrame({ camera: 'a' }), nan);
    expect(causes[1]!.message).toContain('for camera a, b (');
    w.observe(makeFrame({ camera: 'a' }), undefined);
    expect(causes[2]!.message).toContain('for camera b (');
    w.observe(makeFrame({ camera: 'b' }), undefined);
    expect(causes[3]).toBeUndefined();
    expect(causes).toHaveLength(4);
    expect(w.counts()).toEqual({ a: 2, b: 3 });
  });

  it('should not be degraded by non-finite outputs that alternate with finite ones', () => {
    const { w, causes } = watch(3);
    for (let i = 0; i < 20; i++) w.observe(makeFrame({ camera: 'blink', seq: i }), i % 2 === 0 ? nan : undefined);
    expect(causes).toEqual([]);
    expect(w.counts()).toEqual({ blink: 10 });
  });
});
