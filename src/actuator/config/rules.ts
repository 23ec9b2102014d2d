/**
 * The actuator config's rules that span fields, run on the document as written (as src/config/refinements.ts does
 * for the service's), so that a bad config is refused with all its issues at once. Pure.
 */
import { z } from 'zod';
import { conveyor } from './conveyor.js';
import { timing } from './output.js';
import { station } from './station.js';

const member = (value: unknown, key: string): unknown => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined);
const items = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : []);

function issue(ctx: z.RefinementCtx, path: (string | number)[], message: string): void {
  ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
}

/** One station per camera: two would take the same decisions. */
function uniqueCameras(doc: unknown, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  items(member(doc, 'stations')).forEach((raw, i) => {
    const camera = station.shape.camera.safeParse(member(raw, 'camera'));
    const line = station.shape.line.safeParse(member(raw, 'line'));
    if (!camera.success || !line.success) return;
    const key = `${line.data}/${camera.data}`;
    if (seen.has(key)) issue(ctx, ['stations', i, 'camera'], `camera "${camera.data}" of line "${line.data}" has another station (one station a camera: both would act on the same decisions)`);
    seen.add(key);
  });
}

/** On a belt of known speed the output's lead time must leave some travel: else every part would be late. */
function leadWithinTravel(doc: unknown, ctx: z.RefinementCtx): void {
  items(member(doc, 'stations')).forEach((raw, i) => {
    const belt = conveyor.safeParse(member(raw, 'conveyor'));
    const lead = timing.leadMs.safeParse(member(member(raw, 'output'), 'leadMs'));
    if (!belt.success || belt.data.kind !== 'belt' || !lead.success) return;
    const travelMs = (belt.data.distanceMm / belt.data.speedMmPerS) * 1000;
    if (lead.data < travelMs) return;
    issue(ctx, ['stations', i, 'output', 'leadMs'], `${lead.data} ms is not less than the part's travel to the ejector (${travelMs.toFixed(1)} ms at ${belt.data.speedMmPerS} mm/s over ${belt.data.distanceMm} mm): every part would be late (check leadMs and the conveyor)`);
  });
}

/** A client certificate needs its key. */
function certWithKey(doc: unknown, ctx: z.RefinementCtx): void {
  const m = member(doc, 'mqtt');
  const cert = member(m, 'cert');
  const key = member(m, 'key');
  if ((cert === undefined) === (key === undefined)) return;
  issue(ctx, ['mqtt', cert === undefined ? 'cert' : 'key'], 'a client certificate needs both mqtt.cert and mqtt.key');
}

export function stationRules(doc: unknown, ctx: z.RefinementCtx): unknown {
  for (const rule of [uniqueCameras, leadWithinTravel, certWithKey]) rule(doc, ctx);
  return doc;
}
