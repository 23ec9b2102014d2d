/**
 * What a node does next in a rollout, from what it did so far and what the canary says: the canary promotes as soon
 * as it has the model; every other node promotes only after the canary's probation passed on the same rollout; the
 * canary rolled back or refused stops the rollout, and the others never promote it. Pure.
 */
import type { Rollout, RolloutState, RolloutStatus } from './message.js';

export type RolloutStep = 'download' | 'promote' | 'wait' | 'stop' | 'none';

/** `mine`: this node's last state in `rollout` (undefined: nothing done yet); `canary`: the canary's last status. */
export function nextStep(rollout: Rollout, node: string, mine: RolloutState | undefined, canary: RolloutStatus | undefined): RolloutStep {
  if (mine === undefined) return 'download';
  if (mine !== 'downloaded') return 'none';
  if (node === rollout.canary) return 'promote';
  if (canary === undefined || canary.rollout !== rollout.id) return 'wait';
  if (canary.state === 'probation passed') return 'promote';
  if (canary.state === 'rolled back' || canary.state === 'refused' || canary.state === 'stopped') return 'stop';
  return 'wait';
}
