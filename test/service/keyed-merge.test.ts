/**
 * keyedMerge, marble-tested: the cameras of a line merged into one stream, a reload adding and removing one while the
 * others run untouched (issue 20, item 4).
 */
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { keyedMerge } from '../../src/service/keyed-merge.js';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('keyedMerge', () => {
  it('should merge the streams it starts with, and complete when all have', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const merged = keyedMerge([
        ['a', cold('a-a-|')],
        ['b', cold('-b---b|')],
      ]);
      expectObservable(merged.output$).toBe('aba--b|');
    });
  });

  it('should start a stream added while it runs and stop one removed, the others untouched', () => {
    const ts = testScheduler();
    ts.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const a = hot('--a--a--a--a|');
      const b = hot('-b--b--b--b--b|');
      const c = cold('c--c|');
      const merged = keyedMerge([
        ['a', a],
        ['b', b],
      ]);
      ts.schedule(() => merged.add('c', c), 3);
      ts.schedule(() => merged.remove('b'), 8);
      expectObservable(merged.output$).toBe('-bacbacba--a|');
      expectSubscriptions(a.subscriptions).toBe('^-----------!');
      expectSubscriptions(b.subscriptions).toBe('^-------!');
      expectSubscriptions(c.subscriptions).toBe('---^---!');
    });
  });

  it('should replace a stream added under a key that runs: the old one stops, the new one starts', () => {
    const ts = testScheduler();
    ts.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const old = hot('-o-o-o-o|');
      const next = cold('n-n|');
      const merged = keyedMerge([['cam', old]]);
      ts.schedule(() => merged.add('cam', next), 4);
      expectObservable(merged.output$).toBe('-o-on-n|');
      expectSubscriptions(old.subscriptions).toBe('^---!');
      expect(merged.keys()).toEqual(['cam']);
    });
  });

  it('should complete at once with no stream, and when the last one is removed', () => {
    const ts = testScheduler();
    ts.run(({ hot, expectObservable }) => {
      expectObservable(keyedMerge([]).output$).toBe('|');
      const merged = keyedMerge([['a', hot('-a-a-a-a')]]);
      ts.schedule(() => merged.remove('a'), 4);
      expectObservable(merged.output$).toBe('-a-a|');
    });
  });

  it("should pass a stream's error on, and stop the others", () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const other = cold('a-a-a-a');
      const merged = keyedMerge([
        ['fails', cold('--#')],
        ['other', other],
      ]);
      expectObservable(merged.output$).toBe('a-#');
      expectSubscriptions(other.subscriptions).toBe('^-!');
    });
  });

  it('should let go of every stream when its subscriber unsubscribes', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('a-a-a-a');
      expectObservable(keyedMerge([['a', a]]).output$, '^--!').toBe('a-a');
      expectSubscriptions(a.subscriptions).toBe('^--!');
    });
  });
});
