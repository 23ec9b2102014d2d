/**
 * MQTT topics as NATS subjects (docs/fleet.md): nats-server's MQTT listener maps `a/b/c` to `a.b.c`, `+` to `*` and
 * `#` to `>`, so a message the service publishes to JetStream on the mapped subject reaches MQTT subscribers of the
 * topic too, and a JetStream stream or consumer filters the service's topics by the mapped filter. Pure.
 */
import { uniadError } from '../errors.js';

/**
 * Why `topic` (a topic or filter the service builds: topics.ts) has no NATS subject this mapping can give, or
 * undefined. A `.` would become a level of its own (nats-server escapes it instead), and NATS subjects hold no white space.
 */
export function subjectProblem(topic: string): string | undefined {
  if (/[.\s]/.test(topic)) return `"${topic}" holds a "." or white space, which NATS subjects cannot carry as MQTT meant them (use "/" between levels and none of those in a level)`;
  if (/[*>]/.test(topic)) return `"${topic}" holds "*" or ">", NATS wildcards`;
  return undefined;
}

/** `uniad/site/line1/cam1/verdict` → `uniad.site.line1.cam1.verdict`; `uniad/site/+/+/verdict` → `uniad.site.*.*.verdict`. */
export function natsSubject(topic: string): string {
  const problem = subjectProblem(topic);
  if (problem !== undefined) throw uniadError('NATS_SUBJECT', problem);
  return topic
    .split('/')
    .map((level) => (level === '+' ? '*' : level === '#' ? '>' : level))
    .join('.');
}
