import { uniadError } from '../errors.js';

/**
 * MQTT topic names of the contract (shared DESIGN.md, "MQTT contract"). Pure: every topic the service
 * publishes or a subscriber needs is built here and nowhere else.
 *
 *   <prefix>/<line>/<camera>/verdict   QoS 1   every decision
 *   <prefix>/<line>/<camera>/reject    QoS 1   rejects only (what an actuator subscribes to)
 *   <prefix>/<line>/<camera>/heatmap   QoS 0   PNG
 *   <prefix>/status/<node>             QoS 1   retained online/offline, also the last will
 */

export type EventKind = 'verdict' | 'reject' | 'heatmap';

/** MQTT forbids wildcards in topic names and a level that held `/` would shift every later level. */
const badLevel = /[/+#\u0000]/;

function level(name: string, value: string): string {
  if (value === '' || badLevel.test(value)) {
    throw uniadError('MQTT', `topic level ${name} "${value}" must be non-empty and contain none of / + # NUL (rename it in the config)`);
  }
  return value;
}

/** `<prefix>/<line>/<camera>/<kind>`. The prefix may hold several levels (`uniad/site-a`). */
export function eventTopic(prefix: string, line: string, camera: string, kind: EventKind): string {
  return `${prefix}/${level('line', line)}/${level('camera', camera)}/${kind}`;
}

export const verdictTopic = (prefix: string, line: string, camera: string): string => eventTopic(prefix, line, camera, 'verdict');
export const rejectTopic = (prefix: string, line: string, camera: string): string => eventTopic(prefix, line, camera, 'reject');
export const heatmapTopic = (prefix: string, line: string, camera: string): string => eventTopic(prefix, line, camera, 'heatmap');

/** `<prefix>/status/<node>`: retained `online`, replaced by `offline` on close or by the last will. */
export function statusTopic(prefix: string, node: string): string {
  return `${prefix}/status/${level('node', node)}`;
}

/** Subscription filter for one kind on every line and camera under `prefix`, e.g. `uniad/site/+/+/reject`. */
export function eventFilter(prefix: string, kind: EventKind): string {
  return `${prefix}/+/+/${kind}`;
}
