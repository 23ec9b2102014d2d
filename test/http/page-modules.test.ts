/**
 * The page's pure modules (plain browser JavaScript, no build step) run in Node here: the chart's tick arithmetic,
 * the clock and the alarm rules. The Chromium test (test/dashboard.test.ts) sees them drawn.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../setup/paths.js';

interface Chart {
  niceStep(max: number, count?: number): number;
  valueTicks(max: number, count?: number): number[];
  tickLabel(v: number): string;
  timeTicks(from: number, to: number, count?: number): number[];
}
interface Clock {
  clock(timeZone: string): { time(ms: number): string; zone(ms?: number): string };
  elapsed(ms: number): string;
}
interface Alarm {
  code: string;
  message: string;
  since: number | null;
}
interface Alarms {
  medianGap(arrivals: number[]): number | null;
  silenceLimitMs(intervalMs: number | null, arrivals: number[]): number;
  alarms(input: { cameras: object[]; causes: object[]; now: number; openedAt: number }): { node: Alarm[]; cameras: Map<string, Alarm[]> };
}

const load = <T>(name: string): Promise<T> => import(pathToFileURL(join(repoRoot, 'src/http/dashboard', name)).href) as Promise<T>;

let chart: Chart;
let clock: Clock;
let alarms: Alarms;
beforeAll(async () => {
  [chart, clock, alarms] = await Promise.all([load<Chart>('chart.js'), load<Clock>('clock.js'), load<Alarms>('alarms.js')]);
});

describe('chart axes', () => {
  it('should put about four ticks of 1, 2, 2.5 or 5 times a power of ten from 0 over the scores', () => {
    expect(chart.valueTicks(1.05)).toEqual([0, 0.5, 1, 1.5]);
    expect(chart.valueTicks(0.625)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(chart.valueTicks(75 * 1.05)).toEqual([0, 20, 40, 60, 80]);
    expect(chart.valueTicks(1e-7)).toEqual([0, 2.5e-8, 5e-8, 7.5e-8, 1e-7]);
    expect(chart.valueTicks(40)).toEqual([0, 10, 20, 30, 40]);
    for (const max of [0.003, 0.7, 1.9, 13, 999, 12345]) {
      const t = chart.valueTicks(max);
      expect(t[0]).toBe(0);
      expect(t.at(-1)).toBeGreaterThanOrEqual(max);
      expect(t.length).toBeGreaterThanOrEqual(2);
      expect(t.length).toBeLessThanOrEqual(6);
    }
  });

  it('should write tick values without float noise', () => {
    expect([0.1 + 0.2, 1.5, 40, 2.5e-8].map(chart.tickLabel)).toEqual(['0.3', '1.5', '40', '2.5e-8']);
  });

  it('should put time ticks on whole steps of the clock', () => {
    const t0 = Date.UTC(2026, 0, 1, 14, 3, 7, 250);
    expect(chart.timeTicks(t0, t0 + 60_000)).toEqual([15, 30, 45, 60].map((s) => Date.UTC(2026, 0, 1, 14, 3, 0) + s * 1000));
    expect(chart.timeTicks(t0, t0 + 3_600_000).map((t) => new Date(t).toISOString().slice(11, 16))).toEqual(['14:15', '14:30', '14:45', '15:00']);
    expect(chart.timeTicks(t0, t0 + 10_000)).toHaveLength(5);
  });
});

describe('clock', () => {
  it('should show a 24-hour clock in the zone it is given', () => {
    const t = Date.UTC(2026, 6, 1, 13, 4, 5);
    expect(clock.clock('Asia/Kolkata').time(t)).toBe('18:34:05');
    expect(clock.clock('America/New_York').time(t)).toBe('09:04:05');
    expect(clock.clock('UTC').time(Date.UTC(2026, 6, 1, 0, 0, 9))).toBe('00:00:09');
    expect(clock.clock('Europe/Berlin').time(t)).toBe('15:04:05');
  });

  it('should name the zone with its offset from UTC', () => {
    expect(clock.clock('Asia/Kolkata').zone()).toBe('Asia/Kolkata (UTC+05:30)');
    expect(clock.clock('UTC').zone()).toBe('UTC (UTC+00:00)');
    expect(clock.clock('Europe/Berlin').zone(Date.UTC(2026, 0, 1))).toBe('Europe/Berlin (UTC+01:00)');
    expect(clock.clock('Europe/Berlin').zone(Date.UTC(2026, 6, 1))).toBe('Europe/Berlin (UTC+02:00)');
  });

  it('should say how long ago in seconds, minutes, hours', () => {
    expect([0, 45_400, 119_000, 300_000, 7_500_000].map(clock.elapsed)).toEqual(['0 s', '45 s', '119 s', '5 min', '2 h 5 min']);
  });
});

describe('alarms', () => {
  const cam = (over: object) => ({ key: 'l1/c1', camera: 'c1', triggered: false, intervalMs: 100, arrivals: [] as number[], lastDecidedAt: null, ...over });

  it('should raise a camera silent for twice its frame gap, never under 2 s', () => {
    expect(alarms.silenceLimitMs(100, [])).toBe(2000);
    expect(alarms.silenceLimitMs(5000, [])).toBe(10_000);
    // no configured rate: the gap the page saw, else 5 s
    expect(alarms.silenceLimitMs(null, [0, 3000, 6000, 9000])).toBe(6000);
    expect(alarms.silenceLimitMs(null, [0])).toBe(10_000);
    expect(alarms.medianGap([0, 10, 30, 100])).toBe(20);

    const quiet = cam({ arrivals: [1000], lastDecidedAt: 5000 });
    expect(alarms.alarms({ cameras: [quiet], causes: [], now: 3000, openedAt: 0 }).cameras.get('l1/c1')).toEqual([]);
    expect(alarms.alarms({ cameras: [quiet], causes: [], now: 3001, openedAt: 0 }).cameras.get('l1/c1')).toEqual([{ code: 'NO_FRAMES', message: 'no frame for more than 2.0 s', since: 5000 }]);
  });

  it('should count from the page opening for a camera it never saw, and leave a triggered camera to the status', () => {
    const never = cam({});
    expect(alarms.alarms({ cameras: [never], causes: [], now: 2500, openedAt: 1000 }).cameras.get('l1/c1')).toEqual([]);
    expect(alarms.alarms({ cameras: [never], causes: [], now: 3500, openedAt: 1000 }).cameras.get('l1/c1')![0]!.message).toBe('no frame for more than 2.0 s, none since this page opened');
    expect(alarms.alarms({ cameras: [cam({ triggered: true })], causes: [], now: 1e9, openedAt: 0 }).cameras.get('l1/c1')).toEqual([]);
  });

  it("should show every status cause: on the card of the camera it names, else in the header", () => {
    const causes = [
      { code: 'CAMERA_DOWN', message: 'no frame for 20 s', camera: 'c1', since: 42 },
      { code: 'BROKER', message: 'queue filling' },
      { code: 'CAMERA_DOWN', message: 'gone', camera: 'unknown-cam' },
    ];
    const a = alarms.alarms({ cameras: [cam({ arrivals: [0] })], causes, now: 10, openedAt: 0 });
    expect(a.cameras.get('l1/c1')).toEqual([{ code: 'CAMERA_DOWN', message: 'no frame for 20 s', since: 42 }]);
    expect(a.node).toEqual([
      { code: 'BROKER', message: 'queue filling', since: null },
      { code: 'CAMERA_DOWN', message: 'camera unknown-cam: gone', since: null },
    ]);
  });
});
