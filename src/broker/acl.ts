/**
 * Who may publish what on the embedded broker (the rule of docs/architecture.md, "The MQTT contract"). Pure.
 *
 *   service    every topic under `<prefix>/` (verdicts, rejects, heatmaps, status, echoed thresholds, recipe)
 *   operator   only the command topics of operator-commands.ts (`threshold/set`, `recipe`, `feedback`,
 *              `model/promote`), and the part trigger `<prefix>/<line>/<camera>/trigger` (a part sent through a
 *              station by hand)
 *   plc        only the part trigger `<prefix>/<line>/<camera>/trigger`: the line's PLC (or its gateway) says a part
 *              is at a camera
 *   actuator   only a reject actuator's own topics: `<prefix>/actuator/<name>` (its status) and
 *              `<prefix>/<line>/<camera>/eject` and `.../eject/hold` (its MQTT output)
 *   fleet-admin  only the fleet rollout `<prefix>/fleet/rollout` (docs/rollout.md): a model for every node of the
 *              plant, so not a line operator's right
 *   viewer     nothing
 *   anonymous  nothing
 *
 * Everyone the broker lets in may subscribe to anything. Nobody publishes outside the prefix: the embedded broker
 * serves this service only. docs/mqtt-acl.md gives the same rule as a mosquitto ACL for an external broker.
 */
import { parseCommandTopic } from '../operator-commands.js';
import { rolloutTopic } from '../rollout/message.js';
import type { Role } from '../types.js';

/** Levels that cannot appear in a topic name a client publishes to (MQTT 3.1.1 §4.7.1, §4.7.3). */
const wildcard = /[+#\u0000]/;

/** A command topic of operator-commands.ts (`threshold/set`, `recipe`, `feedback`, `model/promote`), with no wildcard. */
export function isCommandTopic(topic: string, prefix: string): boolean {
  return !wildcard.test(topic) && parseCommandTopic(topic, prefix) !== undefined;
}

/** `<prefix>/actuator/<name>`, `<prefix>/<line>/<camera>/eject` or `.../eject/hold` (sinks/topics.ts builds them). */
function isActuatorTopic(topic: string, prefix: string): boolean {
  if (!topic.startsWith(`${prefix}/`)) return false;
  const levels = topic.slice(prefix.length + 1).split('/');
  if (levels.some((l) => l === '')) return false;
  return (levels.length === 2 && levels[0] === 'actuator') || (levels.length === 3 && levels[2] === 'eject') || (levels.length === 4 && levels[2] === 'eject' && levels[3] === 'hold');
}

/** `<prefix>/<line>/<camera>/trigger` (sinks/topics.ts builds it), with no wildcard. */
export function isTriggerTopic(topic: string, prefix: string): boolean {
  if (wildcard.test(topic) || !topic.startsWith(`${prefix}/`)) return false;
  const levels = topic.slice(prefix.length + 1).split('/');
  return levels.length === 3 && levels[2] === 'trigger' && levels.every((l) => l !== '') && levels[0] !== 'status';
}

/** Whether a client of `role` (undefined: anonymous) may publish to `topic` on the broker of the service at `prefix`. */
export function mayPublish(role: Role | undefined, topic: string, prefix: string): boolean {
  if (wildcard.test(topic)) return false;
  switch (role) {
    case 'service':
      return topic.startsWith(`${prefix}/`);
    case 'operator':
      return isCommandTopic(topic, prefix) || isTriggerTopic(topic, prefix);
    case 'plc':
      return isTriggerTopic(topic, prefix);
    case 'actuator':
      return isActuatorTopic(topic, prefix);
    case 'fleet-admin':
      return topic === rolloutTopic(prefix);
    default:
      return false;
  }
}
