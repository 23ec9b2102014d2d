import { UniadError } from '../errors.js';
import { addModel } from '../registry/add.js';
import { readRegistry, type RegistryDoc } from '../registry/store.js';
import { downloadRollout } from '../rollout/download.js';
import { parseRollout, parseRolloutStatus, rolloutStatusTopic, rolloutTopic, statusNode, type Rollout, type RolloutState, type RolloutStatus } from '../rollout/message.js';
import { nextStep } from '../rollout/policy.js';
import type { MqttSink } from '../sinks/mqtt-sink.js';
import { statePaths } from '../state-dir.js';
import type { ServiceBase } from './base.js';
import type { Part } from './lifecycle.js';
import type { ModelRegistry } from './registry.js';

/** The status cause a refused rollout leaves on the node's status until the next rollout. */
const causeKey = 'ROLLOUT';

/**
 * Where this node stands in a rollout of `version` by its registry's history, after a restart: a version it promoted
 * and that passed or was rolled back is not promoted again. Undefined: nothing done yet.
 */
function resumed(doc: RegistryDoc, version: string): RolloutState | undefined {
  const last = doc.history.filter((e) => e.version === version || (e.action === 'rollback' && e.from === version)).at(-1);
  if (last === undefined || last.action === 'add' || last.action === 'refused') return undefined;
  if (last.action === 'rollback') return 'rolled back';
  if (last.action === 'probation passed') return 'probation passed';
  return doc.active === version ? 'promoted' : undefined;
}

export interface FleetRollout {
  close(): void;
}

type Needs = Pick<ServiceBase, 'cfg' | 'logger' | 'causes'> & { readonly sink: MqttSink; readonly registry: ModelRegistry };

/**
 * The fleet rollout on this node (docs/rollout.md): the retained rollout on `<prefix>/fleet/rollout` is downloaded,
 * verified by its sha256 and added to the registry; then, per rollout/policy.ts, the canary promotes and the others
 * wait for the canary's probation to pass, or stop when it was rolled back. Each step is said on the node's retained
 * `<prefix>/fleet/rollout/status/<node>` and in the log; a refusal (a wrong hash, a download that fails, a model the
 * registry refuses) also stays on the node's status until the next rollout.
 */
export const rollout: Part<Needs, 'rollout', FleetRollout> = {
  name: 'rollout',
  start({ cfg, logger, causes, sink, registry }) {
    const { prefix } = cfg.mqtt;
    const node = cfg.node;
    const paths = statePaths(cfg.stateDir);
    let current: Rollout | undefined;
    let mine: RolloutState | undefined;
    /** Every node's last rollout status, by node: the canary's may arrive before the rollout it belongs to. */
    const statuses = new Map<string, RolloutStatus>();
    let busy = false;
    let closed = false;

    const say = (r: Rollout, state: RolloutState, why?: { why: string; code?: string }) => {
      if (r !== current || closed) return;
      mine = state;
      const status: RolloutStatus = { rollout: r.id, node, version: r.version, state, at: new Date().toISOString(), ...why };
      sink.link.publishRetained(rolloutStatusTopic(prefix, node), JSON.stringify(status));
      const fields = { rollout: r.id, version: r.version, state, ...why };
      if (state === 'refused' || state === 'rolled back') logger.error('fleet rollout', fields);
      else logger.info('fleet rollout', fields);
    };

    const step = async (): Promise<void> => {
      const r = current;
      if (r === undefined || busy || closed) return;
      const canary = statuses.get(r.canary);
      const next = nextStep(r, node, mine, canary);
      if (next === 'wait' || next === 'none') return;
      busy = true;
      const by = `fleet rollout ${r.id} (by ${r.by})`;
      try {
        if (next === 'download') {
          const done = resumed(readRegistry(paths.models), r.version);
          if (done !== undefined) {
            say(r, done);
          } else {
            const model = await downloadRollout(r, paths.rollout);
            const { entry } = await addModel(paths.models, model, { by, logger });
            if (entry.version !== r.version) throw new Error(`the sidecar names version ${entry.version}, the rollout ${r.version}`);
            say(r, 'downloaded');
          }
        } else if (next === 'promote') {
          await registry.promoteVersion(r.version, by);
          if (mine === 'downloaded') say(r, 'promoted');
          if (cfg.registry.probation.seconds === 0) say(r, 'probation passed', { why: 'no probation configured (registry.probation.seconds: 0)' });
        } else {
          say(r, 'stopped', { why: `the canary ${r.canary} says ${canary?.state}${canary?.why === undefined ? '' : `: ${canary.why}`}` });
        }
      } catch (err) {
        const code = err instanceof UniadError ? err.code : undefined;
        if (r === current && err instanceof UniadError) causes.set(err, causeKey);
        say(r, 'refused', { why: (err as Error).message, ...(code === undefined ? {} : { code }) });
      } finally {
        busy = false;
      }
      return step();
    };

    registry.onProbation((outcome) => {
      const r = current;
      if (r === undefined || outcome.version !== r.version || (mine !== 'downloaded' && mine !== 'promoted')) return;
      if (outcome.state === 'passed') say(r, 'probation passed');
      else say(r, 'rolled back', { why: outcome.cause });
    });

    sink.link.onFilter(`${prefix}/fleet/rollout/#`, (topic) => topic === rolloutTopic(prefix) || statusNode(topic, prefix) !== undefined, 'fleet rollout', (topic, payload) => {
      if (topic === rolloutTopic(prefix)) {
        if (payload.length === 0) return;
        let next: Rollout;
        try {
          next = parseRollout(payload);
        } catch (err) {
          logger.error('fleet rollout: a message on the rollout topic is refused', { topic, error: (err as Error).message });
          return;
        }
        if (next.id === current?.id) return;
        current = next;
        mine = undefined;
        causes.clear(causeKey);
        logger.info('fleet rollout: a new rollout', { rollout: next.id, version: next.version, canary: next.canary, by: next.by });
      } else {
        const status = parseRolloutStatus(payload);
        if (status === undefined) statuses.delete(statusNode(topic, prefix)!);
        else statuses.set(status.node, status);
      }
      void step();
    });
    return { close: () => void (closed = true) };
  },
  stop: (given) => given.close(),
};
