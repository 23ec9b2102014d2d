import { describe, expect, it } from 'vitest';
import { CameraStats, quantile } from '../../src/sinks/camera-stats.js';
import type { Reason, Verdict } from '../../src/types.js';

const verdict = (camera: string, capturedAt: number, reason: Reason = 'ok'): Verdict => ({
  id: `${camera}:r:${capturedAt}`,
  camera,
  line: 'l1',
  product: 'bottle',
  seq: 0,
  capturedAt,
  decidedAt: capturedAt,
  score: reason === 'ok' || reason === 'anomaly' ? 0.1 : null,
  threshold: 0.5,
  normalizedScore: reason === 'ok' || reason === 'anomaly' ? 0.2 : null,
  reject: reason !== 'ok',
  reason,
  model: 'm@1',
});

describe('CameraStats', () => {
  it('should give fps, rejects a minute and latency quantiles over the window', () => {
    const stats = new CameraStats(10_000);
    // 10 s of 5 fps, latency 40 ms, one reject every second.
    for (let i = 0; i < 50; i++) {
      const captured = 1_000_000 + i * 200;
      stats.record(verdict('cam1', captured, i % 5 === 0 ? 'anomaly' : 'ok'), captured + 40);
    }
    const s = stats.snapshot(['cam1', 'cam2'], 1_000_000 + 49 * 200 + 40)['cam1']!;
    expect(s.frames).toBe(50);
    expect(s.rejects).toBe(10);
    expect(s.fps).toBeCloseTo(5.1, 1);
    expect(s.rejectsPerMin).toBeCloseTo(61, 0);
    expect(s.latencyP50Ms).toBe(40);
    expect(s.latencyP95Ms).toBe(40);
  });

  it('should forget samples older than the window but keep the totals', () => {
    const stats = new CameraStats(1000);
    stats.record(verdict('cam1', 0, 'deadline'), 10);
    stats.record(verdict('cam1', 0, 'error'), 20);
    const later = stats.snapshot(['cam1'], 5000)['cam1']!;
    expect(later).toMatchObject({ frames: 2, rejects: 2, deadline: 1, error: 1, fps: 0, rejectsPerMin: 0, latencyP50Ms: null, lastAt: 20 });
  });

  it('should give zeros for a camera that has not produced a verdict', () => {
    expect(new CameraStats().snapshot(['cam9'], 1)['cam9']).toMatchObject({ frames: 0, fps: 0, lastAt: null });
  });

  it('should pick quantiles by nearest rank', () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.95)).toBe(4);
    expect(quantile([7], 0.95)).toBe(7);
  });
});
