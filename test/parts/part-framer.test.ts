import { Subject } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PartFormer } from '../../src/parts/former.js';
import { GrabFormer } from '../../src/parts/grab.js';
import { PartFramer } from '../../src/parts/part-framer.js';
import { PartJudge } from '../../src/parts/part-judge.js';
import { SoftwareTriggerFormer } from '../../src/parts/software-trigger.js';
import type { Frame, PartTrigger, PartVerdict } from '../../src/types.js';
import { frame, verdict } from './fixtures.js';

afterEach(() => {
  vi.useRealTimers();
});

function framer() {
  const judge = new PartJudge({ cameras: new Map([['cam1', { line: 'line1', rule: { kind: 'any' } }], ['cam2', { line: 'line1', rule: { kind: 'any' } }]]), failSafe: 'reject', verdictWaitMs: 1000, productOf: () => 'bolt', modelId: () => 'm@1' });
  const parts: PartVerdict[] = [];
  const fired: [string, PartTrigger][] = [];
  const f = new PartFramer({
    formers: new Map<string, PartFormer>([
      ['cam1', new SoftwareTriggerFormer('cam1', 500)],
      ['cam2', new GrabFormer('cam2', 1, 500)],
    ]),
    judge,
    onPart: (p) => parts.push(p),
    fire: (camera, t) => fired.push([camera, t]),
  });
  return { f, parts, fired };
}

describe('PartFramer', () => {
  it('should fire a trigger on a signal, tag the frame that answers it and decide the part from its verdict', () => {
    const { f, parts, fired } = framer();
    const frames$ = new Subject<Frame>();
    const out: Frame[] = [];
    f.frames(frames$).subscribe((x) => out.push(x));
    const t = { partId: '1', at: Date.now() };
    f.signal('cam1', t);
    expect(fired).toEqual([['cam1', t]]);
    frames$.next(frame(0, Date.now(), { trigger: t }));
    frames$.next(frame(0, Date.now(), { camera: 'cam3' }));
    expect(out.map((x) => [x.camera, x.part?.partId])).toEqual([
      ['cam1', '1'],
      ['cam3', undefined],
    ]);
    f.verdict(verdict(0, 0.1, { partId: '1' }));
    expect(parts.map((p) => [p.id, p.reason])).toEqual([['cam1:part:1', 'ok']]);
    f.stop();
  });

  it('should decide a part that gets no frame when its timeout passes, by the timer alone', () => {
    vi.useFakeTimers();
    const { f, parts } = framer();
    f.frames(new Subject<Frame>()).subscribe();
    f.signal('cam2', { partId: 'g1', at: Date.now() });
    vi.advanceTimersByTime(499);
    expect(parts).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(parts.map((p) => [p.partId, p.reason, p.reject])).toEqual([['g1', 'no-frame', true]]);
    f.stop();
  });

  it('should decide a part whose frame is scored but never judged by the verdict wait', () => {
    vi.useFakeTimers();
    const { f, parts } = framer();
    const frames$ = new Subject<Frame>();
    f.frames(frames$).subscribe();
    f.signal('cam2', { partId: 'g1', at: Date.now() });
    frames$.next(frame(4, Date.now(), { camera: 'cam2' }));
    vi.advanceTimersByTime(999);
    expect(parts).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(parts.map((p) => [p.partId, p.reason])).toEqual([['g1', 'deadline']]);
    f.stop();
  });

  it('should decide every open part at stop, and take no signal after', () => {
    const { f, parts, fired } = framer();
    f.frames(new Subject<Frame>()).subscribe();
    f.signal('cam1', { partId: 'a', at: 0 });
    f.signal('cam2', { partId: 'b', at: 0 });
    f.stop();
    expect(parts.map((p) => [p.camera, p.partId, p.reason]).sort()).toEqual([
      ['cam1', 'a', 'no-frame'],
      ['cam2', 'b', 'no-frame'],
    ]);
    f.signal('cam1', { partId: 'c', at: 0 });
    expect(fired.map(([, t]) => t.partId)).toEqual(['a']);
  });

  it('should close the parts owed frames when the cameras end, after the frames held', () => {
    const { f, parts } = framer();
    const frames$ = new Subject<Frame>();
    let completed = false;
    f.frames(frames$).subscribe({ complete: () => (completed = true) });
    f.signal('cam1', { partId: 'a', at: 0 });
    frames$.complete();
    expect(completed).toBe(true);
    expect(parts.map((p) => [p.partId, p.reason])).toEqual([['a', 'no-frame']]);
    f.stop();
  });
});
