import { describe, expect, it } from 'vitest';
import { nodeFlops, summarizeProfile } from '../../bench/op-profile.js';
import { p99Cell } from '../../bench/report.js';
import type { BenchResults } from '../../bench/results.js';
import { interpolate, percentile, spread } from '../../bench/stats.js';
import { targetRows } from '../../bench/targets.js';

describe('bench arithmetic', () => {
  it('takes percentiles by nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted on purpose
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('gives a p99 only over 100 samples or more: of 20 it would be their maximum, and the report says n instead', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(spread(twenty)).toEqual({ n: 20, p50: 10, p95: 19, p99: null, max: 20 });
    expect(spread([3, 1, 2])).toEqual({ n: 3, p50: 2, p95: 3, p99: null, max: 3 });
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(spread(hundred)).toMatchObject({ n: 100, p99: 99, max: 100 });
    expect(p99Cell(spread(twenty))).toBe('(n=20)');
    expect(p99Cell(spread(hundred))).toBe('99.0');
    const bench = { models: [{ model: { label: 'demo' }, latency: [{ cameras: 1, batchMaxWaitMs: 0, latency: { added: spread(twenty) } }] }] } as unknown as BenchResults;
    expect(targetRows(bench)[1]).toMatchObject({ measured: 'max 20.00 ms of 20 frames (too few for a p99)', met: false });
  });

  it('interpolates raw frames/s between measured batch sizes and clamps outside them', () => {
    const pts = [[1, 10], [2, 14], [4, 20]] as const;
    expect(interpolate(pts, 3)).toBe(17);
    expect(interpolate(pts, 0.5)).toBe(10);
    expect(interpolate(pts, 8)).toBe(20);
  });

  it('counts 2 FLOP per multiply-add of convolutions and matrix products from profiled shapes', () => {
    const ev = (op: string, ins: number[][], out: number[]) => ({ cat: 'Node', name: `${op}_kernel_time`, dur: 10, args: { op_name: op, input_type_shape: ins.map((d) => ({ float: d })), output_type_shape: [{ float: out }] } });
    // 3x3 conv 16 → 32 channels on 8x8 output, batch 2: 2 · (2·32·8·8) · (16·3·3)
    expect(nodeFlops(ev('Conv', [[2, 16, 10, 10], [32, 16, 3, 3], [32]], [2, 32, 8, 8]))).toBe(2 * 2 * 32 * 64 * 144);
    // depthwise: weight [C, 1, 3, 3]
    expect(nodeFlops(ev('Conv', [[1, 8, 4, 4], [8, 1, 3, 3]], [1, 8, 4, 4]))).toBe(2 * 128 * 9);
    // MatMul [2, 196, 128] x W[128, 512] (weight not listed): K = 128
    expect(nodeFlops(ev('MatMul', [[2, 196, 128]], [2, 196, 512]))).toBe(2 * 2 * 196 * 512 * 128);
    // transposed input [2, 152, 196] → [2, 196, 128]: K = 152
    expect(nodeFlops(ev('FusedMatMul', [[2, 152, 196]], [2, 196, 128]))).toBe(2 * 2 * 196 * 128 * 152);
    expect(nodeFlops(ev('Softmax', [[8, 196, 196]], [8, 196, 196]))).toBe(0);
    const p = summarizeProfile([ev('MatMul', [[1, 4, 4]], [1, 4, 4]), ev('Add', [[1, 4, 4]], [1, 4, 4]), ev('Add', [[1, 4, 4]], [1, 4, 4])], 1, 1);
    expect(p.ops.map((o) => [o.op, o.nodes])).toEqual([['Add', 2], ['MatMul', 1]]);
    expect(p.gflopPerFrame).toBeCloseTo((2 * 16 * 4) / 1e9, 12);
  });
});
