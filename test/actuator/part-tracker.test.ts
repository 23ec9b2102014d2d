import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { beltConveyor } from '../../src/actuator/conveyor.js';
import type { PartDecision } from '../../src/actuator/decision.js';
import { PartTracker, type Ejection, type TrackerOptions } from '../../src/actuator/part-tracker.js';

const decision = (partId: string, reject: boolean, signalAt?: number): PartDecision => ({ id: `cam1:part:${partId}`, partId, camera: 'cam1', line: 'l1', reject, reason: reject ? 'anomaly' : 'ok', signalAt });

/** A tracker on a 1 m belt at 1 m/s (1000 ms travel) with a 100 ms lead: due 900 ms after the signal. */
function tracker(over: Partial<TrackerOptions> = {}): { t: PartTracker; ejected: Ejection[] } {
  const ejected: Ejection[] = [];
  const t = new PartTracker({ camera: 'cam1', line: 'l1', conveyor: beltConveyor(1000, 1000), leadMs: 100, failSafe: 'reject', onEject: (e) => ejected.push(e), ...over });
  return { t, ejected };
}

describe('the part tracker', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => vi.useRealTimers());

  it('should eject a part with its decision at its signal + travel - lead, not before', () => {
    const { t, ejected } = tracker();
    t.signal({ partId: '1', at: Date.now() }, 'cam1:part:1');
    vi.advanceTimersByTime(300);
    expect(t.decide(decision('1', true))).toEqual({ fate: 'applied', slackMs: 600 });
    vi.advanceTimersByTime(599);
    expect(ejected).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ejected).toMatchObject([{ id: 'cam1:part:1', reject: true, reason: 'decided', decision: 'anomaly', source: 'signal', deadlineAt: 1_000_900, firedAt: 1_000_900, slackMs: 600 }]);
    expect(t.size).toBe(0);
  });

  it('should reject a part without a decision by its ejection moment, and pass it only when failSafe says pass', () => {
    const { t, ejected } = tracker();
    t.signal({ partId: '1', at: Date.now() }, 'cam1:part:1');
    vi.advanceTimersByTime(900);
    expect(ejected).toMatchObject([{ partId: '1', reject: true, reason: 'fail-safe', decision: undefined, slackMs: undefined }]);
    const passing = tracker({ failSafe: 'pass' });
    passing.t.signal({ partId: '2', at: Date.now() }, 'cam1:part:2');
    vi.advanceTimersByTime(900);
    expect(passing.ejected).toMatchObject([{ partId: '2', reject: false, reason: 'fail-safe' }]);
  });

  it('should count a decision after its fail-safe ejection late, with its slack, and never apply it; a second copy is a duplicate', () => {
    const { t, ejected } = tracker();
    t.signal({ partId: '1', at: Date.now() }, 'cam1:part:1');
    vi.advanceTimersByTime(950);
    expect(t.decide(decision('1', false))).toMatchObject({ fate: 'late', slackMs: -50 });
    expect(t.decide(decision('1', false))).toEqual({ fate: 'duplicate' });
    vi.advanceTimersByTime(5000);
    expect(ejected).toHaveLength(1);
    expect(ejected[0]).toMatchObject({ reject: true, reason: 'fail-safe' });
  });

  it('should ignore a duplicate decision before and after the ejection, keeping the first', () => {
    const { t, ejected } = tracker();
    t.signal({ partId: '1', at: Date.now() }, 'cam1:part:1');
    t.decide(decision('1', true));
    expect(t.decide(decision('1', false))).toEqual({ fate: 'duplicate' });
    vi.advanceTimersByTime(900);
    expect(t.decide(decision('1', false))).toEqual({ fate: 'duplicate' });
    expect(ejected).toMatchObject([{ reject: true, reason: 'decided' }]);
  });

  it('should apply a decision for a part it saw no signal for at the ejection moment its signalAt gives, or count it late', () => {
    const { t, ejected } = tracker();
    const at = Date.now();
    expect(t.decide(decision('7', true, at - 200))).toEqual({ fate: 'scheduled', slackMs: 700 });
    expect(t.decide(decision('8', true, at - 950))).toMatchObject({ fate: 'late', slackMs: -50 });
    expect(t.decide(decision('9', true))).toMatchObject({ fate: 'late', why: expect.stringContaining('names no signalAt') });
    vi.advanceTimersByTime(700);
    expect(ejected).toMatchObject([{ partId: '7', reject: true, reason: 'decided', source: 'decision', deadlineAt: at + 700 }]);
    expect(t.decide(decision('8', true, at - 950))).toEqual({ fate: 'duplicate' });
  });

  it('should place a part by its signal when its decision came first', () => {
    const { t, ejected } = tracker();
    const at = Date.now();
    t.decide(decision('5', false, at - 100));
    t.signal({ partId: '5', at }, 'cam1:part:5');
    vi.advanceTimersByTime(899);
    expect(ejected).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ejected).toMatchObject([{ partId: '5', reject: false, reason: 'decided', source: 'signal' }]);
  });

  it('should track a reused id (a wrapped counter) as a new part, and eject parts in belt order', () => {
    const { t, ejected } = tracker();
    t.signal({ partId: '1', at: Date.now() }, 'cam1:part:1');
    t.decide(decision('1', true));
    vi.advanceTimersByTime(900);
    t.signal({ partId: '1', at: Date.now() }, 'cam1:part:1');
    t.signal({ partId: '2', at: Date.now() - 10 }, 'cam1:part:2');
    vi.advanceTimersByTime(900);
    expect(ejected.map((e) => [e.partId, e.reason])).toEqual([
      ['1', 'decided'],
      ['2', 'fail-safe'],
      ['1', 'fail-safe'],
    ]);
  });

  it('should take ids settled before a restart as settled, and forget the oldest past its memory', () => {
    const { t } = tracker({ remember: 2 });
    t.restore([
      { id: 'cam1:part:1', decided: true },
      { id: 'cam1:part:2', decided: false },
      { id: 'cam1:part:3', decided: true },
    ]);
    expect(t.decide(decision('3', true))).toEqual({ fate: 'duplicate' });
    expect(t.decide(decision('2', true))).toMatchObject({ fate: 'late' });
    expect(t.decide(decision('1', true))).toMatchObject({ fate: 'late', why: expect.stringContaining('no part signal was seen') });
  });

  it('should resolve drained() once the last part is ejected, and count a signal it cannot place as not tracked', async () => {
    const { t } = tracker({ conveyor: { ejectorPosition: () => undefined, msUntil: () => Infinity } });
    expect(t.signal({ partId: '1', at: Date.now() }, 'cam1:part:1')).toBe(false);
    await t.drained();
    const belt = tracker();
    belt.t.signal({ partId: '1', at: Date.now() }, 'cam1:part:1');
    let drained = false;
    void belt.t.drained().then(() => (drained = true));
    await vi.advanceTimersByTimeAsync(900);
    expect(drained).toBe(true);
  });
});
