/**
 * Parts started in order and stopped in reverse, the way fastify registers plugins: each part starts with what the
 * parts listed before it gave (a context that grows, typed, so a part cannot reach one listed after it), and what
 * starts is stopped: on stop(), and on any failure while starting, when only the parts that did start are stopped.
 * Node 20 has no `AsyncDisposableStack`; this is the small closers list the service needs.
 */

/** One part: how it starts from what the earlier parts gave, and how it stops what its start made. */
export interface Part<Needs, Name extends string, Gives> {
  readonly name: Name;
  /** Throws when the part cannot start; it leaves nothing of its own running then (earlier parts are stopped for it). */
  readonly start: (needs: Needs) => Gives | Promise<Gives>;
  /** Stops what start gave; `reason` says why the whole stops. */
  readonly stop?: (given: Gives, reason: string, needs: Needs) => void | Promise<void>;
}

/** What the lifecycle tells its owner while it unwinds. */
export interface LifecycleHooks {
  /** Unwinding begins (not called when no part had started yet). */
  readonly stopping?: (reason: string) => void;
  /** A part's stop failed; the parts before it are stopped all the same. */
  readonly stopFailed?: (part: string, err: unknown) => void;
}

export interface Running<Ctx> {
  /** Every part's output, by name, once all have started; or the first start failure, after the started parts stopped. */
  readonly started: Promise<Ctx>;
  /**
   * Stops the started parts in reverse order; the same promise on every call. Asked during start, no further part
   * starts (`started` then rejects with StoppedWhileStarting). Rejects, once every part was asked to stop, with the
   * stop failure (AggregateError for several); each was reported to `stopFailed` as it happened.
   */
  stop(reason: string): Promise<void>;
}

/** Why `started` rejects when stop() came before the last part started. */
export class StoppedWhileStarting extends Error {
  constructor(readonly reason: string) {
    super(`stopped while starting: ${reason}`);
    this.name = 'StoppedWhileStarting';
  }
}

/** A part as the list holds it, whatever its types: `with` checked them when it was listed. */
interface ListedPart {
  readonly name: string;
  readonly start: (needs: object) => unknown;
  readonly stop?: (given: unknown, reason: string, needs: object) => void | Promise<void>;
}

export class Lifecycle<Ctx extends object> {
  constructor(
    private readonly base: object,
    private readonly parts: readonly ListedPart[],
  ) {}

  /** The parts so far and `part` after them; it gets what they gave. */
  with<Name extends string, Gives>(part: Part<Ctx, Name, Gives>): Lifecycle<Ctx & { readonly [K in Name]: Gives }> {
    if (part.name in this.base || this.parts.some((p) => p.name === part.name)) throw new Error(`lifecycle: "${part.name}" is named twice`);
    const { name, start, stop } = part;
    const listed: ListedPart = { name, start: (needs) => start(needs as Ctx), stop: stop && ((given, reason, needs) => stop(given as Gives, reason, needs as Ctx)) };
    return new Lifecycle(this.base, [...this.parts, listed]);
  }

  /** Starts the parts one after another. */
  start(hooks: LifecycleHooks = {}): Running<Ctx> {
    return run<Ctx>(this.base, this.parts, hooks);
  }
}

/** A lifecycle whose first part gets `base`. */
export const lifecycle = <Base extends object>(base: Base): Lifecycle<Base> => new Lifecycle<Base>(base, []);

function run<Ctx>(base: object, parts: readonly ListedPart[], hooks: LifecycleHooks): Running<Ctx> {
  /** The started parts' stops, in start order. */
  const stops: { name: string; stop: (reason: string) => void | Promise<void> }[] = [];
  let stopAsked: string | undefined;
  let unwound: Promise<unknown[]> | undefined;
  let stopped: Promise<void> | undefined;

  const unwind = (reason: string) =>
    (unwound ??= (async () => {
      const failures: unknown[] = [];
      if (stops.length > 0) hooks.stopping?.(reason);
      for (let part = stops.pop(); part !== undefined; part = stops.pop()) {
        try {
          await part.stop(reason);
        } catch (err) {
          failures.push(err);
          hooks.stopFailed?.(part.name, err);
        }
      }
      return failures;
    })());

  const started = (async () => {
    const ctx: Record<string, unknown> = { ...base };
    for (const part of parts) {
      if (stopAsked !== undefined) break;
      // A copy: a part keeps what was there when it started, never a later part's output.
      const needs = Object.freeze({ ...ctx });
      let given: unknown;
      try {
        given = await part.start(needs);
      } catch (err) {
        await unwind(stopAsked ?? `${part.name} did not start`);
        throw err;
      }
      const stop = part.stop;
      if (stop !== undefined) stops.push({ name: part.name, stop: (reason) => stop(given, reason, needs) });
      ctx[part.name] = given;
    }
    if (stopAsked !== undefined) {
      await unwind(stopAsked);
      throw new StoppedWhileStarting(stopAsked);
    }
    return ctx as Ctx;
  })();
  // whoever holds `started` sees its failure; stop() only waits for it to settle
  const settled = started.then(
    () => undefined,
    () => undefined,
  );

  return {
    started,
    stop(reason) {
      stopAsked ??= reason;
      return (stopped ??= settled
        .then(() => unwind(stopAsked!))
        .then((failures) => {
          if (failures.length === 1) throw failures[0];
          if (failures.length > 1) throw new AggregateError(failures, `${failures.length} parts did not stop cleanly`);
        }));
    },
  };
}
