import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { batchFrames } from '../../src/pipeline/batch.js';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('batchFrames', () => {
  it('should emit as soon as maxSize items are in', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('abc-de|');
      expectObservable(src.pipe(batchFrames(3, 100))).toBe('--x---(y|)', { x: ['a', 'b', 'c'], y: ['d', 'e'] });
      expectSubscriptions(src.subscriptions).toBe('^-----!');
    });
  });

  it('should emit maxWaitMs after the first item of a batch when it does not fill', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const src = cold('a-b 20ms ---|');
      // a at 0, b at 2: the batch goes out at 5 (0 + 5), not 5 after b.
      expectObservable(src.pipe(batchFrames(10, 5))).toBe('-----x 20ms |', { x: ['a', 'b'] });
    });
  });

  it('should start the timer afresh at the first item of each batch, not run a free timer', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      // a at 0 → flush at 10; c at 13 → flush at 23 (a free-running 10 ms timer would flush at 20).
      const src = cold('a 12ms c 30ms |');
      expectObservable(src.pipe(batchFrames(10, 10))).toBe('10ms x 12ms y 20ms |', { x: ['a'], y: ['c'] });
    });
  });

  it('should emit every item at once, in the same tick, when maxWaitMs is 0', () => {
    const src = new Subject<string>();
    const seen: string[][] = [];
    src.pipe(batchFrames(8, 0)).subscribe((b) => seen.push(b));
    src.next('a');
    src.next('b');
    // No timer turn in between: a zero timeout would still defer the emit to a later macrotask.
    expect(seen).toEqual([['a'], ['b']]);
    src.complete();
    expect(seen).toEqual([['a'], ['b']]);
  });

  it('should cancel the timer of a batch that filled, so the next batch waits its own full time', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      // a,b fill at 1; c at 4 must wait until 14, not flush at 10 (the timer of the first batch).
      const src = cold('ab--c 20ms |');
      expectObservable(src.pipe(batchFrames(2, 10))).toBe('-x 12ms y 10ms |', { x: ['a', 'b'], y: ['c'] });
    });
  });

  it('should flush the remainder when the source completes', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('ab|').pipe(batchFrames(5, 100))).toBe('--(x|)', { x: ['a', 'b'] });
    });
  });

  it('should complete without emitting for an empty source', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('|').pipe(batchFrames(5, 10))).toBe('|');
    });
  });

  it('should never emit an empty batch, however long the source is silent', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-').pipe(batchFrames(5, 10))).toBe('-');
      expectObservable(cold('a 100ms |').pipe(batchFrames(5, 10))).toBe('10ms x 90ms |', { x: ['a'] });
    });
  });

  it('should pass errors on and drop the partial batch', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('ab#').pipe(batchFrames(5, 10))).toBe('--#');
      expectObservable(cold('abc#').pipe(batchFrames(2, 10))).toBe('-x-#', { x: ['a', 'b'] });
    });
  });

  it('should stop its timer and the source on early unsubscribe', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('a-b-c-d-e|');
      // Unsubscribed at 3: the pending batch [c] must not appear at 3 + 10.
      expectObservable(src.pipe(batchFrames(2, 10)), '^--!').toBe('--x', { x: ['a', 'b'] });
      expectSubscriptions(src.subscriptions).toBe('^--!');
    });
  });

  it('should hand out a batch that a re-entrant push cannot change', () => {
    const src = new Subject<number>();
    const seen: number[][] = [];
    src.pipe(batchFrames(2, 1000)).subscribe((b) => {
      seen.push(b);
      if (b[0] === 1) src.next(99);
    });
    src.next(1);
    src.next(2);
    src.next(3);
    src.complete();
    expect(seen).toEqual([[1, 2], [99, 3]]);
  });

  it('should refuse a batch size below one', () => {
    expect(() => batchFrames(0, 10)).toThrow(/maxSize/);
  });
});
