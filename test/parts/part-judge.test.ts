import { describe, expect, it } from 'vitest';
import { PartJudge, type JudgeOptions } from '../../src/parts/part-judge.js';
import type { PartRule } from '../../src/parts/rule.js';
import { verdict } from './fixtures.js';

function judge(rule: PartRule = { kind: 'any' }, over: Partial<JudgeOptions> = {}): PartJudge {
  return new PartJudge({
    cameras: new Map([['cam1', { line: 'line1', rule }]]),
    failSafe: 'reject',
    verdictWaitMs: 2000,
    productOf: () => 'bolt-now',
    modelId: () => 'live@2',
    ...over,
  });
}

const open = (partId: string, at = 900) => ({ type: 'open', camera: 'cam1', partId, at, source: 'trigger' }) as const;
const frameOf = (partId: string, seq: number) => ({ type: 'frame', camera: 'cam1', partId, seq }) as const;
const close = (partId: string, missing = false) => ({ type: 'close', camera: 'cam1', partId, missing }) as const;

describe('PartJudge', () => {
  it('should decide a part once it is closed and every frame has its verdict, with the contract fields', () => {
    const j = judge();
    j.event(open('42'), 1000);
    j.event(frameOf('42', 1), 1000);
    j.event(frameOf('42', 2), 1000);
    expect(j.event(close('42'), 1000)).toEqual([]);
    expect(j.verdict(verdict(2, 0.7, { partId: '42' }), 1100)).toEqual([]);
    expect(j.verdict(verdict(1, 0.1, { partId: '42' }), 1200)).toEqual([
      {
        id: 'cam1:part:42',
        partId: '42',
        camera: 'cam1',
        line: 'line1',
        product: 'bolt',
        verdictIds: ['cam1:run1:1', 'cam1:run1:2'],
        reject: true,
        reason: 'anomaly',
        score: 0.7,
        threshold: 0.5,
        signalAt: 900,
        decidedAt: 1200,
        model: 'tiny@1',
        source: 'trigger',
      },
    ]);
    expect(j.pending).toBe(0);
  });

  it('should decide a part with no frame fail-safe, naming the product and model in force', () => {
    const j = judge();
    j.event(open('7'), 1000);
    expect(j.event(close('7', true), 1500)).toEqual([expect.objectContaining({ id: 'cam1:part:7', verdictIds: [], reject: true, reason: 'no-frame', score: null, threshold: null, product: 'bolt-now', model: 'live@2' })]);
  });

  it('should pass a part with no frame when the fail-safe is pass', () => {
    const j = judge({ kind: 'any' }, { failSafe: 'pass' });
    j.event(open('7'), 1000);
    expect(j.event(close('7', true), 1500)).toEqual([expect.objectContaining({ reject: false, reason: 'no-frame' })]);
  });

  it('should decide a closed part whose verdicts do not come within the wait as deadline', () => {
    const j = judge();
    j.event(open('8'), 1000);
    j.event(frameOf('8', 1), 1000);
    j.event(close('8'), 1000);
    expect(j.nextWakeAt()).toBe(3000);
    expect(j.tick(2999)).toEqual([]);
    expect(j.tick(3000)).toEqual([expect.objectContaining({ partId: '8', reason: 'deadline', reject: true, verdictIds: [] })]);
    // the verdict that comes after its part was decided changes nothing
    expect(j.verdict(verdict(1, 0.1, { partId: '8' }), 3100)).toEqual([]);
  });

  it('should decide every part still open at a flush, once each', () => {
    const j = judge();
    j.event(open('a'), 1000);
    j.event(frameOf('a', 1), 1000);
    j.verdict(verdict(1, 0.1, { partId: 'a' }), 1010);
    j.event(open('b'), 1000);
    const parts = j.flush(1100);
    expect(parts.map((p) => [p.partId, p.reason, p.reject])).toEqual([
      ['a', 'no-frame', true],
      ['b', 'no-frame', true],
    ]);
    expect(j.flush(1200)).toEqual([]);
  });

  it('should take only verdicts of frames given to the part', () => {
    const j = judge();
    j.event(open('a'), 1000);
    j.event(frameOf('a', 1), 1000);
    j.event(close('a'), 1000);
    expect(j.verdict(verdict(5, 0.9, { partId: 'a' }), 1010)).toEqual([]);
    expect(j.verdict(verdict(1, 0.1, { partId: 'a' }), 1020)).toEqual([expect.objectContaining({ reason: 'ok', verdictIds: ['cam1:run1:1'] })]);
  });

  it('should judge by the camera\'s rule', () => {
    const j = judge({ kind: 'k-of-n', k: 2 });
    j.event(open('a'), 1000);
    for (const seq of [1, 2, 3]) j.event(frameOf('a', seq), 1000);
    j.event(close('a'), 1000);
    j.verdict(verdict(1, 0.9, { partId: 'a' }), 1010);
    j.verdict(verdict(2, 0.1, { partId: 'a' }), 1010);
    expect(j.verdict(verdict(3, 0.2, { partId: 'a' }), 1010)).toEqual([expect.objectContaining({ reject: false, reason: 'ok', score: 0.9 })]);
  });
});
