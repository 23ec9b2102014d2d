import { describe, expect, it } from 'vitest';
import { lifecycle, StoppedWhileStarting, type Part } from '../../src/service/lifecycle.js';

/** What the parts did, in order: `start a`, `stop a (why)`. */
function journal() {
  const events: string[] = [];
  const part = <Name extends string, Gives>(name: Name, gives: Gives, opts: { failStart?: Error; failStop?: Error; startGate?: Promise<void> } = {}): Part<object, Name, Gives> => ({
    name,
    start: async () => {
      events.push(`start ${name}`);
      await opts.startGate;
      if (opts.failStart) throw opts.failStart;
      return gives;
    },
    stop: async (_given, reason) => {
      events.push(`stop ${name} (${reason})`);
      if (opts.failStop) throw opts.failStop;
    },
  });
  return { events, part };
}

describe('lifecycle', () => {
  it('should start the parts in order, each with what the earlier ones gave, and stop them in reverse', async () => {
    const { events, part } = journal();
    const seen: object[] = [];
    const running = lifecycle({ base: 1 })
      .with(part('a', 'A'))
      .with({ name: 'b', start: (needs: { base: number; a: string }) => (seen.push(needs), `${needs.a}${needs.base}`), stop: () => void events.push('stop b') })
      .with(part('c', 3))
      .start();
    const ctx = await running.started;
    expect(ctx).toEqual({ base: 1, a: 'A', b: 'A1', c: 3 });
    expect(seen).toEqual([{ base: 1, a: 'A' }]); // b saw a, not c
    await running.stop('done');
    expect(events).toEqual(['start a', 'start c', 'stop c (done)', 'stop b', 'stop a (done)']);
  });

  it('should give a part a copy of what came before it, never what a later part adds', async () => {
    let kept: Record<string, unknown> = {};
    const running = lifecycle({})
      .with({ name: 'early', start: (needs: object) => ((kept = needs as Record<string, unknown>), 'e') })
      .with({ name: 'late', start: () => 'l' })
      .start();
    await running.started;
    expect(kept).toEqual({});
    expect(Object.isFrozen(kept)).toBe(true);
  });

  it('should not compile a part that needs one listed after it', () => {
    const needsLate: Part<{ late: string }, 'early', number> = { name: 'early', start: ({ late }) => late.length };
    const listed = () =>
      lifecycle({})
        // @ts-expect-error `late` is not started yet when `early` starts
        .with(needsLate)
        .with({ name: 'late', start: () => 'l' });
    expect(typeof listed).toBe('function');
  });

  it('should stop only the parts that started, in reverse, when one fails to start, and reject with its error', async () => {
    const { events, part } = journal();
    const failure = new Error('port taken');
    const stopping: string[] = [];
    const running = lifecycle({})
      .with(part('a', 1))
      .with(part('b', 2))
      .with(part('c', 3, { failStart: failure }))
      .with(part('d', 4))
      .start({ stopping: (reason) => stopping.push(reason) });
    await expect(running.started).rejects.toBe(failure);
    expect(events).toEqual(['start a', 'start b', 'start c', 'stop b (c did not start)', 'stop a (c did not start)']);
    expect(stopping).toEqual(['c did not start']);
    // stopping again afterwards stops nothing twice
    await running.stop('later');
    expect(events).toHaveLength(5);
  });

  it('should tell nobody it is stopping when the first part fails: nothing had started', async () => {
    const { part } = journal();
    const stopping: string[] = [];
    const running = lifecycle({}).with(part('a', 1, { failStart: new Error('no model') })).start({ stopping: (reason) => stopping.push(reason) });
    await expect(running.started).rejects.toThrow('no model');
    expect(stopping).toEqual([]);
  });

  it('should go on stopping the other parts when one fails to stop, report it, and reject stop() with it', async () => {
    const { events, part } = journal();
    const stuck = new Error('socket stuck');
    const reported: [string, unknown][] = [];
    const running = lifecycle({})
      .with(part('a', 1))
      .with(part('b', 2, { failStop: stuck }))
      .with(part('c', 3))
      .start({ stopFailed: (name, err) => reported.push([name, err]) });
    await running.started;
    await expect(running.stop('SIGTERM')).rejects.toBe(stuck);
    expect(events.slice(3)).toEqual(['stop c (SIGTERM)', 'stop b (SIGTERM)', 'stop a (SIGTERM)']);
    expect(reported).toEqual([['b', stuck]]);
  });

  it('should reject stop() with every failure when several parts fail to stop', async () => {
    const { part } = journal();
    const running = lifecycle({})
      .with(part('a', 1, { failStop: new Error('a stuck') }))
      .with(part('b', 2, { failStop: new Error('b stuck') }))
      .start();
    await running.started;
    const err = await running.stop('SIGTERM').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AggregateError);
    expect((err as AggregateError).errors.map((e: Error) => e.message)).toEqual(['b stuck', 'a stuck']);
  });

  it('should report a stop failure while unwinding a failed start, and still reject `started` with the start failure', async () => {
    const { events, part } = journal();
    const reported: string[] = [];
    const running = lifecycle({})
      .with(part('a', 1))
      .with(part('b', 2, { failStop: new Error('b stuck') }))
      .with(part('c', 3, { failStart: new Error('no camera') }))
      .start({ stopFailed: (name) => reported.push(name) });
    await expect(running.started).rejects.toThrow('no camera');
    expect(events.slice(3)).toEqual(['stop b (c did not start)', 'stop a (c did not start)']);
    expect(reported).toEqual(['b']);
  });

  it('should stop once however often stop() is called', async () => {
    const { events, part } = journal();
    const running = lifecycle({}).with(part('a', 1)).with(part('b', 2)).start();
    await running.started;
    const first = running.stop('SIGTERM');
    const second = running.stop('SIGINT');
    expect(second).toBe(first);
    await Promise.all([first, second, running.stop('again')]);
    expect(events).toEqual(['start a', 'start b', 'stop b (SIGTERM)', 'stop a (SIGTERM)']);
  });

  it('should, stopped during start, let the starting part finish, start no other, and stop those that started', async () => {
    const { events, part } = journal();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const running = lifecycle({})
      .with(part('a', 1))
      .with(part('b', 2, { startGate: gate }))
      .with(part('c', 3))
      .start();
    await new Promise((r) => setImmediate(r)); // every microtask before it has run: a started, b starting
    expect(events).toEqual(['start a', 'start b']);
    const stopping = running.stop('SIGTERM');
    open();
    await stopping;
    await expect(running.started).rejects.toEqual(new StoppedWhileStarting('SIGTERM'));
    expect(events).toEqual(['start a', 'start b', 'stop b (SIGTERM)', 'stop a (SIGTERM)']);
  });

  it('should refuse a part named twice, or named like the base', () => {
    expect(() => lifecycle({ cfg: 1 }).with({ name: 'cfg', start: () => 2 })).toThrow('lifecycle: "cfg" is named twice');
    expect(() => lifecycle({}).with({ name: 'a', start: () => 1 }).with({ name: 'a', start: () => 2 })).toThrow('lifecycle: "a" is named twice');
  });
});
