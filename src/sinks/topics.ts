import { uniadError } from '../errors.js';
import { commandFilter, commandKinds } from '../operator-commands.js';

/**
 * MQTT topic names of the contract (docs/architecture.md, "The MQTT contract"). Pure: every topic the service
 * publishes or a subscriber needs is built here and nowhere else.
 *
 *   <prefix>/<line>/<camera>/verdict   QoS 1   every decision
 *   <prefix>/<line>/<camera>/reject    QoS 1   rejects only (what an actuator subscribes to)
 *   <prefix>/<line>/<camera>/heatmap   QoS 0   PNG
 *   <prefix>/<line>/<camera>/feed      QoS 0   PNG, rate-limited live frame + heatmap for dashboards (images/feed.ts)
 *   <prefix>/status/<node>             QoS 1   retained online/offline, also the last will
 *   <prefix>/<line>/<camera>/state     QoS 1   retained: the camera up, down (and why) or ended; what parts passing it need
 *   <prefix>/<line>/<camera>/threshold/set   QoS 1   command (operator): {"threshold": N}
 *   <prefix>/<line>/<camera>/threshold       QoS 1   retained: the threshold in force, echoed after every change
 *   <prefix>/<line>/recipe             QoS 1   retained command (operator): {"product": "..."}
 *   <prefix>/<line>/recipe/current     QoS 1   retained: the products the line's cameras inspect now
 *   <prefix>/model/promote             QoS 1   command (operator): {} promotes the shadow model (model registry)
 *   <command topic>/result             QoS 1   the answer to each command (operator-commands.ts `resultTopic`)
 *   <prefix>/<line>/<camera>/shadow/verdict  QoS 1   a candidate model's verdicts, never acted on
 *   <prefix>/shadow/<node>             QoS 1   retained: the shadow model's running summary
 *   <prefix>/<line>/<camera>/part      QoS 1   one decision per part (what the reject actuator acts on)
 *   <prefix>/<line>/<camera>/part/reject  QoS 1  the same, rejected parts only
 *   <prefix>/<line>/<camera>/trigger   QoS 1   command (plc, operator): a part is at the camera, {"partId": "..."}
 *   <prefix>/<line>/<camera>/eject     QoS 1   the reject actuator's output decision at a part's ejection moment
 *   <prefix>/<line>/<camera>/eject/hold  QoS 1 retained: whether the actuator holds the ejector in reject ("divert all")
 *   <prefix>/actuator/<name>           QoS 1   retained: the actuator's online/offline (also its last will)
 */

export type EventKind = 'verdict' | 'reject' | 'heatmap' | 'feed' | 'part' | 'trigger' | 'eject';

/** MQTT 3.1.1 §1.5.3: a UTF-8 string is at most 65535 bytes; a topic name is one. */
export const maxTopicBytes = 65_535;

/**
 * Why `value` cannot be a topic level (`multiLevel` false: site, node, line, camera) or a run of levels (`multiLevel`
 * true: the prefix) in the topics this service publishes, or undefined when it can. MQTT 3.1.1 §4.7 and §1.5.3:
 * no wildcard or NUL in a topic name, valid UTF-8, at most 65535 bytes, no control characters (a SHOULD NOT);
 * beyond the standard, no empty level and no leading `$` (broker topics; `#` subscribers do not see them).
 */
export function topicPartProblem(value: string, multiLevel: boolean): string | undefined {
  if (value === '') return 'is empty';
  if (value.includes('\u0000')) return 'contains a NUL character, which MQTT forbids in a topic';
  const wildcard = /[+#]/.exec(value);
  if (wildcard) return `contains "${wildcard[0]}", a wildcard MQTT forbids in the topics a client publishes to`;
  if (/[\u0001-\u001f\u007f-\u009f]/.test(value)) return 'contains a control character';
  if (/\p{Cs}/u.test(value)) return 'is not valid UTF-8 (a lone surrogate)';
  if (!multiLevel && value.includes('/')) return 'contains "/", which would split it into several topic levels';
  if (value.startsWith('/')) return 'starts with "/", an empty first topic level';
  if (value.endsWith('/')) return 'ends with "/", an empty topic level';
  if (value.includes('//')) return 'has an empty topic level ("//")';
  if (multiLevel && value.startsWith('$')) return 'starts with "$", which brokers reserve for their own topics ($SYS)';
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > maxTopicBytes) return `is ${bytes} bytes in UTF-8; an MQTT topic holds at most ${maxTopicBytes}`;
  return undefined;
}

/** MQTT forbids wildcards in topic names and a level that held `/` would shift every later level. */
const badLevel = /[/+#\u0000]/;

function level(name: string, value: string): string {
  if (value === '' || badLevel.test(value)) {
    throw uniadError('TOPIC_LEVEL', name, value);
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
export const feedTopic = (prefix: string, line: string, camera: string): string => eventTopic(prefix, line, camera, 'feed');

export const partTopic = (prefix: string, line: string, camera: string): string => eventTopic(prefix, line, camera, 'part');
export const triggerTopic = (prefix: string, line: string, camera: string): string => eventTopic(prefix, line, camera, 'trigger');
/** `<prefix>/<line>/<camera>/part/reject`: the part decisions that reject. */
export const partRejectTopic = (prefix: string, line: string, camera: string): string => `${partTopic(prefix, line, camera)}/reject`;
export const ejectTopic = (prefix: string, line: string, camera: string): string => eventTopic(prefix, line, camera, 'eject');
export const ejectHoldTopic = (prefix: string, line: string, camera: string): string => `${ejectTopic(prefix, line, camera)}/hold`;

/** `<prefix>/actuator/<name>`: a reject actuator's retained online/offline, also its last will. */
export function actuatorStatusTopic(prefix: string, name: string): string {
  return `${prefix}/actuator/${level('actuator name', name)}`;
}

/** `<prefix>/status/<node>`: retained `online`, replaced by `offline` on close or by the last will. */
export function statusTopic(prefix: string, node: string): string {
  return `${prefix}/status/${level('node', node)}`;
}

/** `<prefix>/status/+`: every node's status under the prefix (a fleet view). */
export function statusFilter(prefix: string): string {
  return `${prefix}/status/+`;
}

/** `<prefix>/<line>/<camera>/state`: retained, whether the camera delivers frames (payload.ts `cameraStatePayload`). */
export function cameraStateTopic(prefix: string, line: string, camera: string): string {
  return `${prefix}/${level('line', line)}/${level('camera', camera)}/state`;
}

/** Subscription filter for one kind on every line and camera under `prefix`, e.g. `uniad/site/+/+/reject`. */
export function eventFilter(prefix: string, kind: EventKind): string {
  return `${prefix}/+/+/${kind}`;
}

/** `<prefix>/<line>/<camera>/threshold`: retained, the threshold in force. */
export function thresholdTopic(prefix: string, line: string, camera: string): string {
  return `${prefix}/${level('line', line)}/${level('camera', camera)}/threshold`;
}

/** `<prefix>/<line>/<camera>/threshold/set`: the operator's command. */
export function thresholdSetTopic(prefix: string, line: string, camera: string): string {
  return `${thresholdTopic(prefix, line, camera)}/set`;
}

/** `<prefix>/<line>/<camera>/feedback`: the operator's word on one of the camera's verdicts (a false reject, a missed defect). */
export function feedbackTopic(prefix: string, line: string, camera: string): string {
  return `${prefix}/${level('line', line)}/${level('camera', camera)}/feedback`;
}

/** `<prefix>/<line>/recipe`: retained, the product the line's cameras inspect. */
export function recipeTopic(prefix: string, line: string): string {
  return `${prefix}/${level('line', line)}/recipe`;
}

/** `<prefix>/<line>/recipe/current`: retained, the recipe in force (which product each camera of the line inspects). */
export function recipeInForceTopic(prefix: string, line: string): string {
  return `${recipeTopic(prefix, line)}/current`;
}

/** The filters the service subscribes to for commands, one a command of operator-commands.ts. */
export function commandFilters(prefix: string): string[] {
  return commandKinds.map((kind) => commandFilter(kind, prefix));
}

/** `<prefix>/<line>/<camera>/shadow/verdict`: a candidate model's verdicts. */
export function shadowVerdictTopic(prefix: string, line: string, camera: string): string {
  return `${prefix}/${level('line', line)}/${level('camera', camera)}/shadow/verdict`;
}

/** `<prefix>/shadow/<node>`: retained summary of the shadow model against the live one. */
export function shadowSummaryTopic(prefix: string, node: string): string {
  return `${prefix}/shadow/${level('node', node)}`;
}
