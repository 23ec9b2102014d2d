/**
 * The part signal as an MQTT message (`<prefix>/<line>/<camera>/trigger`, QoS 1, not retained): a PLC or its gateway
 * publishes `{"partId": "1234", "at": <epoch ms, optional>}`, bounded as every command is (operator-commands.ts). Pure.
 *
 * `at` (when the PLC saw the part) is taken when given, so a trigger that the broker delivered late still times its
 * part from where the part was (`signalTime`, part-signal.ts).
 */
import { parseCommandJson } from '../operator-commands.js';
import { signalTime, type PartSignal } from './part-signal.js';

export type TriggerParse = { readonly ok: true; readonly signal: PartSignal; readonly clockAhead: boolean } | { readonly ok: false; readonly why: string };

export function parseTrigger(payload: Buffer | string, receivedAt: number, retained = false): TriggerParse {
  if (retained) return { ok: false, why: 'a retained trigger is refused: it would start a part on every reconnect (publish it with retain false)' };
  const p = parseCommandJson(payload);
  if (!p.ok) return { ok: false, why: `the payload is ${p.why} (send {"partId": "1234"})` };
  const { partId, at } = p.doc;
  const id = typeof partId === 'number' && Number.isInteger(partId) ? String(partId) : partId;
  if (typeof id !== 'string' || id === '' || id.length > 128) return { ok: false, why: 'partId must be a non-empty string of at most 128 characters, or a whole number' };
  if (at !== undefined && (typeof at !== 'number' || !Number.isFinite(at))) return { ok: false, why: 'at must be epoch milliseconds (a number), or left out' };
  const time = signalTime(at as number | undefined, receivedAt);
  return { ok: true, signal: { partId: id, at: time.at }, clockAhead: time.clockAhead };
}
