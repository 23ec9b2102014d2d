/**
 * Folder rollout/: a model rolled out to the fleet (docs/rollout.md). A rollout is one retained QoS 1 message on
 * `<prefix>/fleet/rollout`: where each node downloads the model and its sidecar (HTTP URLs) and their sha256, the
 * version, and the canary node. It carries URLs and hashes, never the blob. Each node answers on its own retained
 * `<prefix>/fleet/rollout/status/<node>`. It imports nothing of the other folders; service/rollout.ts wires it.
 *
 * This file: the two payloads and their topics, parsed and checked. Pure.
 */
import { z } from 'zod';
import { uniadError } from '../errors.js';
import { describeIssues } from '../zod-issues.js';

export const rolloutTopic = (prefix: string) => `${prefix}/fleet/rollout`;
export const rolloutStatusTopic = (prefix: string, node: string) => `${prefix}/fleet/rollout/status/${node}`;
/** The node a rollout status topic names, or undefined for another topic. */
export function statusNode(topic: string, prefix: string): string | undefined {
  const head = `${prefix}/fleet/rollout/status/`;
  if (!topic.startsWith(head)) return undefined;
  const node = topic.slice(head.length);
  return node === '' || node.includes('/') ? undefined : node;
}

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256: 64 lower-case hex digits (sha256sum FILE)');
const file = z.object({ url: z.string().url().refine((u) => /^https?:\/\//.test(u), 'an http:// or https:// URL'), sha256 });

const rolloutMessage = z.object({
  /** Names this rollout: the nodes' statuses refer to it; a new id is a new rollout. */
  id: z.string().min(1),
  version: z.string().min(1),
  model: file,
  sidecar: file,
  /** The node that promotes first; the others wait for its probation to pass. */
  canary: z.string().min(1),
  by: z.string().default('unknown'),
});
export type Rollout = z.infer<typeof rolloutMessage>;

/** What a node says of a rollout, in the order it says it. */
export const rolloutStates = ['downloaded', 'promoted', 'probation passed', 'rolled back', 'refused', 'stopped'] as const;
export type RolloutState = (typeof rolloutStates)[number];

const rolloutStatus = z.object({
  rollout: z.string(),
  node: z.string(),
  version: z.string(),
  state: z.enum(rolloutStates),
  at: z.string(),
  /** Why, for `refused`, `rolled back` and `stopped`. */
  why: z.string().optional(),
  code: z.string().optional(),
});
export type RolloutStatus = z.infer<typeof rolloutStatus>;

/** A rollout message, or ROLLOUT_MESSAGE naming what is wrong with it. */
export function parseRollout(payload: Buffer | string): Rollout {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString());
  } catch (err) {
    throw uniadError('ROLLOUT_MESSAGE', `not JSON: ${(err as Error).message}`);
  }
  const parsed = rolloutMessage.safeParse(doc);
  if (!parsed.success) throw uniadError('ROLLOUT_MESSAGE', describeIssues(parsed.error));
  return parsed.data;
}

/** A node's rollout status, or undefined for anything else (an empty retained message, a foreign payload). */
export function parseRolloutStatus(payload: Buffer | string): RolloutStatus | undefined {
  try {
    const parsed = rolloutStatus.safeParse(JSON.parse(payload.toString()));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
