/**
 * Decision intake: a part decision as the service publishes it on `<prefix>/<line>/<camera>/part` (MQTT contract),
 * read into what the actuator acts on. Pure. Fields beyond these (verdictIds, score, model, …) are the service's
 * record and pass by; the ones read here are checked, and a message that breaks them is refused with why. Bounded
 * as the commands are (operator-commands.ts: size, nesting), as it comes from the network.
 */
import { parseCommandJson } from '../operator-commands.js';

export interface PartDecision {
  /** `<camera>:part:<partId>`: what the actuator dedups on (src/part-id.ts). */
  readonly id: string;
  readonly partId: string;
  readonly camera: string;
  readonly line: string;
  readonly reject: boolean;
  /** The service's reason: anomaly, ok, no-frame, deadline, error. */
  readonly reason: string;
  /** When the part was at the camera (epoch ms): times a part the actuator saw no signal for. */
  readonly signalAt?: number;
}

export type DecisionParse = { readonly ok: true; readonly decision: PartDecision } | { readonly ok: false; readonly why: string };

const text = (v: unknown): v is string => typeof v === 'string' && v !== '' && v.length <= 256;

export function parseDecision(payload: Buffer | string): DecisionParse {
  const p = parseCommandJson(payload);
  if (!p.ok) return p;
  const d = p.doc;
  for (const key of ['id', 'partId', 'camera', 'line', 'reason'] as const) {
    if (!text(d[key])) return { ok: false, why: `${key} must be a non-empty string` };
  }
  if (typeof d.reject !== 'boolean') return { ok: false, why: 'reject must be true or false' };
  if (d.signalAt !== undefined && (typeof d.signalAt !== 'number' || !Number.isFinite(d.signalAt))) return { ok: false, why: 'signalAt must be epoch milliseconds' };
  return {
    ok: true,
    decision: { id: d.id as string, partId: d.partId as string, camera: d.camera as string, line: d.line as string, reject: d.reject, reason: d.reason as string, signalAt: d.signalAt as number | undefined },
  };
}
