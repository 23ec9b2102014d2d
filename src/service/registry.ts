import type { Subscription } from 'rxjs';
import type { Config } from '../config.js';
import { uniadError } from '../errors.js';
import { addModel } from '../registry/add.js';
import { takePromotionLock } from '../registry/lock.js';
import { writeLive, type LiveReport } from '../registry/live.js';
import { Probation } from '../registry/probation.js';
import { entryOf, modelPathOf, readRegistry, writeRegistry, type RegistryDoc } from '../registry/store.js';
import { passedProbation, promoted, refused, rolledBack, versionName } from '../registry/transitions.js';
import { statePaths } from '../state-dir.js';
import type { ServiceBase } from './base.js';
import type { Answer, CommandHandler, Sender } from './command-registry.js';
import type { Inspection } from './inspection.js';
import type { Part } from './lifecycle.js';
import type { LiveModel } from './model.js';
import type { Reloader } from './reload.js';

/** Who the registry's history names for what the service does by itself. */
const byProbation = 'uniad-edge (probation)';

/**
 * `cfg` with the registry's active version as its model, when one was promoted: what the service starts with and
 * what every reload applies. The config's own `model.path` runs until a first promotion and after a rollback to it.
 */
export function activeModelConfig(cfg: Config, doc: RegistryDoc = readRegistry(statePaths(cfg.stateDir).models)): Config {
  if (doc.active === null) return cfg;
  return { ...cfg, model: { ...cfg.model, path: modelPathOf(statePaths(cfg.stateDir).models, entryOf(doc, doc.active)) } };
}

/** The registry's active version, or null when it cannot be read (the refusal says why elsewhere). */
function activeOrNull(dir: string): string | null {
  try {
    return readRegistry(dir).active;
  } catch {
    return null;
  }
}

/** Whether the registry's last word on `version` is its promotion: its probation has not ended. */
function onProbation(doc: RegistryDoc, version: string | null): version is string {
  const last = doc.history.filter((e) => e.version === version && e.action !== 'add').at(-1);
  return version !== null && last?.action === 'promote';
}

export interface ModelRegistry {
  /** A reloaded config (SIGHUP) with the registry's active version as its model, applied by the reload part. */
  reload(next: Config): Promise<boolean>;
  /** A reload that never reached `reload` (its config is invalid): said in live.json, so a promotion waiting hears it. */
  refused(why: string): void;
  /** The `promote` command: the shadow model that runs becomes the live one, through the registry. */
  readonly promote: CommandHandler<'promote'>;
  /** Promotes a version already in the registry, as the promote command does (a fleet rollout, service/rollout.ts). */
  promoteVersion(version: string, by: string): Promise<void>;
  /** Told how each promoted version's probation ended: passed, or rolled back (with the guard it tripped). */
  onProbation(listener: (outcome: ProbationOutcome) => void): void;
  close(): void;
}

export type ProbationOutcome = { readonly version: string; readonly state: 'passed' } | { readonly version: string; readonly state: 'rolled back'; readonly cause: string };

type Needs = Pick<ServiceBase, 'cfg' | 'configured' | 'logger' | 'causes'> & { readonly model: LiveModel; readonly inspection: Inspection; readonly reload: Reloader };

/**
 * The models on the box, for the running service (docs/lifecycle.md): every reload takes the registry's active
 * version (a promotion from `uniad-edge models promote` arrives as SIGHUP), the service says in `models/live.json`
 * what it runs or why it refused, and a promoted version is on probation: when it trips a guard of
 * `registry.probation` within the window, the service rolls back to the version before it by itself, through the same
 * reload, logs why and keeps the cause on the status (MODEL_ROLLED_BACK) until the next promotion.
 */
export const registry: Part<Needs, 'registry', ModelRegistry> = {
  name: 'registry',
  start({ cfg, configured, logger, causes, model: { live, output }, inspection, reload: reloader }) {
    const dir = statePaths(cfg.stateDir).models;
    const guards = cfg.registry.probation;
    /** The config as given (the last one reloaded): the registry's active version is applied to it each time. */
    let current = configured;
    let version = readRegistry(dir).active;
    let report: LiveReport = { version, model: live.modelId, at: Date.now() };
    let probation: { watch: Probation; nonFiniteAtStart: number } | undefined;
    let closed = false;
    const outcomes: ((outcome: ProbationOutcome) => void)[] = [];
    const tell = (outcome: ProbationOutcome) => outcomes.forEach((listener) => listener(outcome));

    const publish = (changes: Partial<LiveReport>) => {
      report = { ...report, ...changes, version, model: live.modelId, at: Date.now() };
      try {
        writeLive(dir, report);
      } catch (err) {
        logger.error('the model registry: cannot write what the service runs', { path: dir, error: (err as Error).message });
      }
    };
    const nonFinite = () => Object.values(output.counts()).reduce((a, n) => a + n, 0);
    const watch = (doc: RegistryDoc) => {
      probation = undefined;
      if (guards.seconds === 0 || !onProbation(doc, doc.active)) return;
      probation = { watch: new Probation(live.modelId, guards, Date.now()), nonFiniteAtStart: nonFinite() };
      publish({ probation: { version: doc.active, until: probation.watch.until, state: 'running' } });
      logger.info('the promoted model is on probation', { version: doc.active, model: live.modelId, seconds: guards.seconds, guards });
    };
    /** Writes the registry under the promotion lock; the service's own changes wait a while for a promotion that runs. */
    const record = async (change: (doc: RegistryDoc) => RegistryDoc, what: string) => {
      for (let attempt = 0; ; attempt++) {
        try {
          const lock = takePromotionLock(dir, { version: what, by: byProbation });
          try {
            writeRegistry(dir, change(readRegistry(dir)));
          } finally {
            lock.release();
          }
          return;
        } catch (err) {
          if (closed || attempt >= 50 || (err as { code?: string }).code !== 'PROMOTION_RUNNING') {
            logger.error('the model registry could not be updated', { change: what, error: (err as Error).message });
            return;
          }
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    };

    const apply = async (next: Config): Promise<boolean> => {
      let doc: RegistryDoc;
      let resolved: Config;
      try {
        doc = readRegistry(dir);
        resolved = activeModelConfig(next, doc);
      } catch (err) {
        logger.error('reload refused, old settings kept: the model registry', { error: (err as Error).message });
        publish({ refused: { version: null, why: (err as Error).message, at: Date.now() } });
        return false;
      }
      const ok = await reloader.apply(resolved);
      if (!ok) {
        publish({ refused: { version: doc.active, why: reloader.lastRefusal() ?? 'the reload was refused (see the log)', at: Date.now() } });
        return false;
      }
      current = next;
      if (doc.active !== version) {
        logger.info('the model registry\'s active version is live', { version: versionName(doc.active), model: live.modelId });
        version = doc.active;
        causes.clear('MODEL_ROLLED_BACK');
        watch(doc);
      }
      publish({});
      return true;
    };

    const rollBack = async (cause: string) => {
      const from = version;
      const doc = readRegistry(dir);
      if (doc.active !== from || doc.previous.length === 0) {
        logger.error('the promoted model tripped a probation guard, but the registry has nothing to roll back to', { version: versionName(from), cause });
        return;
      }
      const back = rolledBack(doc, byProbation, new Date(), cause);
      logger.error('the promoted model tripped a probation guard: rolling back', { version: versionName(from), to: versionName(back.active), cause });
      const ok = await reloader.apply(activeModelConfig(current, back));
      if (!ok) {
        logger.error('the rollback did not apply: the promoted model stays', { version: versionName(from), error: reloader.lastRefusal() });
        return;
      }
      version = back.active;
      await record((latest) => rolledBack(latest, byProbation, new Date(), cause), 'rollback');
      causes.set(uniadError('MODEL_ROLLED_BACK', versionName(from), versionName(back.active), cause));
      publish({ rolledBack: { from, to: back.active, cause, at: Date.now() } });
      if (from !== null) tell({ version: from, state: 'rolled back', cause });
    };

    /**
     * The shadow model, added to the registry (its contract checked; the same file again is not copied twice),
     * promoted under the promotion lock and applied by the reload; refused with why, the registry put back.
     */
    const promoteShadow = async (sender: Sender): Promise<Answer> => {
      const shadowPath = current.shadow?.path;
      if (shadowPath === undefined) throw new Error('no shadow model runs (config shadow.path): there is nothing to promote');
      const by = `${sender.by} (mqtt)`;
      const { entry } = await addModel(dir, shadowPath, { by, logger });
      await promoteEntry(entry.version, by, 'promoting the shadow model');
      return { ok: true, inForce: { version, model: live.modelId } };
    };
    /** `version` of the registry promoted under the promotion lock and applied by the reload; refused with why, the registry put back. */
    const promoteEntry = async (target: string, by: string, what: string) => {
      const lock = takePromotionLock(dir, { version: target, by });
      try {
        const before = readRegistry(dir);
        const after = promoted(before, target, by, new Date());
        writeRegistry(dir, after);
        logger.info(what, { version: target, by });
        if (!(await apply(current))) {
          const why = reloader.lastRefusal() ?? 'the reload was refused (see the log)';
          writeRegistry(dir, refused(before, target, by, new Date(), why));
          throw uniadError('PROMOTION_REFUSED', target, why);
        }
      } finally {
        lock.release();
      }
    };

    const judge = (state: Probation['state']) => {
      if (probation === undefined || state.state === 'running') return;
      const on = version!;
      publish({ probation: { version: on, until: probation.watch.until, state: state.state } });
      probation = undefined;
      if (state.state === 'tripped') {
        void rollBack(state.cause);
        return;
      }
      const summary = `${state.counts.frames} frames, ${state.counts.rejects} rejects, ${state.counts.nonFinite} non-finite, ${state.counts.inferenceErrors} inference errors`;
      logger.info('the promoted model passed its probation', { version: on, counts: state.counts });
      tell({ version: on, state: 'passed' });
      void record((latest) => passedProbation(latest, on, new Date(), summary), 'probation passed');
    };

    const decisions: Subscription = inspection.decisions$.subscribe((d) => {
      if (probation !== undefined) judge(probation.watch.observe(d, Date.now(), nonFinite() - probation.nonFiniteAtStart));
    });
    const timer = setInterval(() => probation && judge(probation.watch.tick(Date.now())), 1000);
    timer.unref();

    publish({});
    watch(readRegistry(dir));
    return {
      reload: apply,
      refused: (why) => publish({ refused: { version: activeOrNull(dir), why, at: Date.now() } }),
      promote: { apply: (_target, _fields, sender) => promoteShadow(sender), inForce: () => ({ version, model: live.modelId }) },
      promoteVersion: (target, by) => promoteEntry(target, by, 'promoting a version of the registry'),
      onProbation: (listener) => void outcomes.push(listener),
      close: () => {
        closed = true;
        clearInterval(timer);
        decisions.unsubscribe();
      },
    };
  },
  stop: (given) => given.close(),
};
