/**
 * Who may publish what on the embedded broker (the rule of docs/architecture.md, "The MQTT contract"). Pure.
 *
 *   service    every topic under `<prefix>/` (verdicts, rejects, heatmaps, status, echoed thresholds, recipe)
 *   operator   only the command topics `<prefix>/<line>/<camera>/threshold/set` and `<prefix>/<line>/recipe`
 *   viewer     nothing
 *   anonymous  nothing
 *
 * Everyone the broker lets in may subscribe to anything. Nobody publishes outside the prefix: the embedded broker
 * serves this service only. docs/mqtt-acl.md gives the same rule as a mosquitto ACL for an external broker.
 */
import type { Role } from '../types.js';

/** Levels that cannot appear in a topic name a client publishes to (MQTT 3.1.1 §4.7.1, §4.7.3). */
const wildcard = /[+#\u0000]/;

/** `<prefix>/<line>/<camera>/threshold/set` or `<prefix>/<line>/recipe`, each level non-empty. */
export function isCommandTopic(topic: string, prefix: string): boolean {
  if (!topic.startsWith(`${prefix}/`) || wildcard.test(topic)) return false;
  const levels = topic.slice(prefix.length + 1).split('/');
  if (levels.some((l) => l === '')) return false;
  // `<prefix>/status/<node>` is the service's status; a line named "status" would make it look like a command
  if (levels[0] === 'status') return false;
  return (levels.length === 4 && levels[2] === 'threshold' && levels[3] === 'set') || (levels.length === 2 && levels[1] === 'recipe');
}

/** Whether a client of `role` (undefined: anonymous) may publish to `topic` on the broker of the service at `prefix`. */
export function mayPublish(role: Role | undefined, topic: string, prefix: string): boolean {
  if (wildcard.test(topic)) return false;
  switch (role) {
    case 'service':
      return topic.startsWith(`${prefix}/`);
    case 'operator':
      return isCommandTopic(topic, prefix);
    default:
      return false;
  }
}
