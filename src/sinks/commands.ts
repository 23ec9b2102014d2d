/**
 * The two command topics an `operator` may write (docs/architecture.md, "The MQTT contract"), parsed and checked. Pure.
 *
 *   <prefix>/<line>/<camera>/threshold/set   {"threshold": 42.0, "by": "name"}   `by` only counts on an external broker
 *   <prefix>/<line>/recipe                   {"product": "washer"}               retained
 */

export type CommandTopic = { readonly kind: 'threshold'; readonly line: string; readonly camera: string } | { readonly kind: 'recipe'; readonly line: string };

export type Parsed<T> = ({ readonly ok: true } & T) | { readonly ok: false; readonly why: string };

/** What a command topic names, or undefined for any other topic. */
export function parseCommandTopic(topic: string, prefix: string): CommandTopic | undefined {
  if (!topic.startsWith(`${prefix}/`)) return undefined;
  const levels = topic.slice(prefix.length + 1).split('/');
  if (levels.some((l) => l === '') || levels[0] === 'status') return undefined;
  if (levels.length === 4 && levels[2] === 'threshold' && levels[3] === 'set') return { kind: 'threshold', line: levels[0]!, camera: levels[1]! };
  if (levels.length === 2 && levels[1] === 'recipe') return { kind: 'recipe', line: levels[0]! };
  return undefined;
}

function json(payload: Buffer | string): Parsed<{ doc: Record<string, unknown> }> {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString());
  } catch {
    return { ok: false, why: 'not JSON' };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { ok: false, why: 'not a JSON object' };
  return { ok: true, doc: doc as Record<string, unknown> };
}

/** `{"threshold": N}` with N a finite number > 0, optionally `"by": "..."`. */
export function parseThresholdSet(payload: Buffer | string): Parsed<{ threshold: number; by?: string }> {
  const p = json(payload);
  if (!p.ok) return { ok: false, why: `${p.why}; send {"threshold": 42.0}` };
  const t = p.doc['threshold'];
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) return { ok: false, why: `"threshold" must be a number > 0, got ${JSON.stringify(t) ?? 'nothing'}` };
  const by = p.doc['by'];
  return { ok: true, threshold: t, ...(typeof by === 'string' && by !== '' ? { by } : {}) };
}

/** `{"product": "name"}` with a non-empty name. */
export function parseRecipe(payload: Buffer | string): Parsed<{ product: string; by?: string }> {
  const p = json(payload);
  if (!p.ok) return { ok: false, why: `${p.why}; send {"product": "washer"}` };
  const product = p.doc['product'];
  if (typeof product !== 'string' || product === '') return { ok: false, why: `"product" must be a non-empty string, got ${JSON.stringify(product) ?? 'nothing'}` };
  const by = p.doc['by'];
  return { ok: true, product, ...(typeof by === 'string' && by !== '' ? { by } : {}) };
}
