/**
 * The operator's commands (docs/architecture.md, "The MQTT contract"; README, "Commands"): each a topic under the
 * prefix, whether the contract keeps it retained, and its payload, parsed and checked here. Pure. The broker's ACL,
 * the service's subscription and the result topics are all read from `commandSpecs`; the service answers each command
 * (service/command-registry.ts). A new command is one entry here and one handler there.
 *
 *   <prefix>/<line>/<camera>/threshold/set   {"threshold": 42.0}     not retained: a retained one is refused
 *   <prefix>/<line>/recipe                   {"product": "washer"}   retained by contract: the line's product
 *   <prefix>/model/promote                   {}                      the shadow model becomes the live one (the model registry)
 *   <prefix>/<line>/<camera>/feedback        {"verdictId": "cam1:lx3k2a:1042", "kind": "false-reject"}   not retained
 *
 * Every payload may carry `"requestId"` (echoed on the result) and `"by"` (who sends it: stamped by the embedded
 * broker, only claimed on an external one).
 */
import { thresholdProblem, thresholdRange } from './threshold-bounds.js';

interface CommandSpec {
  /** The topic's levels after the prefix; `<name>` is a level the command names (a line, a camera). */
  readonly levels: readonly string[];
  /** Whether a retained message on it is a command by contract (it is replayed at every subscription). */
  readonly retained: boolean;
  /** What an operator sends, for refusals that say how. */
  readonly example: string;
  /** The command's own fields from its JSON object (the envelope is read for every command alike). */
  readonly fields: (doc: Readonly<Record<string, unknown>>) => Parsed<object>;
}

export const commandSpecs = {
  threshold: { levels: ['<line>', '<camera>', 'threshold', 'set'], retained: false, example: '{"threshold": 42.0}', fields: thresholdFields },
  recipe: { levels: ['<line>', 'recipe'], retained: true, example: '{"product": "washer"}', fields: recipeFields },
  promote: { levels: ['model', 'promote'], retained: false, example: '{}', fields: promoteFields },
  feedback: { levels: ['<line>', '<camera>', 'feedback'], retained: false, example: '{"verdictId": "cam1:lx3k2a:1042", "kind": "false-reject"}', fields: feedbackFields },
} as const satisfies Record<string, CommandSpec>;

export type CommandKind = keyof typeof commandSpecs;
/** What a command of `kind` says, parsed. */
export type CommandFields<K extends CommandKind> = Omit<Extract<ReturnType<(typeof commandSpecs)[K]['fields']>, { ok: true }>, 'ok'>;
export const commandKinds = Object.keys(commandSpecs) as readonly CommandKind[];

/** A command topic: which command, the topic itself, and the levels it names (`line`, `camera`). */
export interface CommandTarget {
  readonly kind: CommandKind;
  readonly topic: string;
  readonly names: Readonly<Record<string, string>>;
}

export type Parsed<T> = ({ readonly ok: true } & T) | { readonly ok: false; readonly why: string };

const placeholder = /^<(.+)>$/;

/** The subscription filter of a command under `prefix` (a named level is `+`). */
export function commandFilter(kind: CommandKind, prefix: string): string {
  return [prefix, ...commandSpecs[kind].levels.map((l) => (placeholder.test(l) ? '+' : l))].join('/');
}

/** What a command topic names, or undefined for any other topic. */
export function parseCommandTopic(topic: string, prefix: string): CommandTarget | undefined {
  if (!topic.startsWith(`${prefix}/`)) return undefined;
  const levels = topic.slice(prefix.length + 1).split('/');
  // `<prefix>/status/<node>` is the service's status; a line named "status" would make it look like a command
  if (levels.some((l) => l === '') || levels[0] === 'status') return undefined;
  for (const kind of commandKinds) {
    const pattern = commandSpecs[kind].levels;
    if (pattern.length !== levels.length) continue;
    const names: Record<string, string> = {};
    const fits = pattern.every((p, i) => {
      const name = placeholder.exec(p)?.[1];
      if (name === undefined) return p === levels[i];
      names[name] = levels[i]!;
      return true;
    });
    if (fits) return { kind, topic, names };
  }
  return undefined;
}

/** Where the service answers a command sent to `topic`: `<topic>/result` (not retained). */
export const resultTopic = (topic: string): string => `${topic}/result`;

/**
 * A command is a small flat object. Anything larger or deeper is refused before JSON.parse sees it: a value nested
 * thousands deep parses, but every later JSON.stringify of it (logging, the broker's sender stamp) overflows the stack
 * and took the whole service down (issue 20, item 12).
 */
export const commandLimits = { maxBytes: 8192, maxDepth: 8 } as const;

/** How deep `[` and `{` nest in `text`, outside strings; stops counting past `limit`. Linear, no recursion. */
export function nestingDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      deepest = Math.max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** A command payload as a JSON object, refused with the reason when it is too big, too deep, not JSON or not an object. */
export function parseCommandJson(payload: Buffer | string): Parsed<{ doc: Record<string, unknown> }> {
  const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (bytes > commandLimits.maxBytes) return { ok: false, why: `${bytes} bytes, more than a command may have (${commandLimits.maxBytes})` };
  const text = payload.toString();
  if (nestingDepth(text, commandLimits.maxDepth) > commandLimits.maxDepth) return { ok: false, why: `nested more than ${commandLimits.maxDepth} levels deep` };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, why: 'not JSON' };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { ok: false, why: 'not a JSON object' };
  return { ok: true, doc: doc as Record<string, unknown> };
}

/** A value as a refusal quotes it: JSON, cut to 80 characters (the payload is bounded, a log line should be too). */
export function quoted(value: unknown): string {
  const text = JSON.stringify(value) ?? 'nothing';
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** What every command may carry besides its own fields. */
export interface Envelope {
  /** Echoed on the result, so a sender can tell its answer from others'. */
  readonly requestId?: string | number;
  /** Who sends it: the user the embedded broker authenticated, or what a client claims on an external broker. */
  readonly by?: string;
  /** Stamped by the embedded broker on a command that was published retained (embedded-broker.ts `withSender`). */
  readonly retained?: boolean;
}

const maxRequestIdLength = 128;

/** The envelope of a command's JSON object; refused for a request id that is neither a short string nor a number. */
export function parseEnvelope(doc: Readonly<Record<string, unknown>>): Parsed<Envelope> {
  const { requestId, by, retained } = doc;
  const idOk = requestId === undefined || (typeof requestId === 'string' && requestId.length <= maxRequestIdLength) || (typeof requestId === 'number' && Number.isFinite(requestId));
  if (!idOk) return { ok: false, why: `"requestId" must be a string of at most ${maxRequestIdLength} characters or a number, got ${quoted(requestId)}` };
  return {
    ok: true,
    ...(requestId === undefined ? {} : { requestId: requestId as string | number }),
    ...(typeof by === 'string' && by !== '' ? { by } : {}),
    ...(retained === true ? { retained } : {}),
  };
}

/** A command payload's JSON object and envelope, refused with the reason (and how to send it) before anything else reads it. */
export function parseCommand(kind: CommandKind, payload: Buffer | string): Parsed<{ doc: Record<string, unknown>; envelope: Envelope }> {
  const p = parseCommandJson(payload);
  if (!p.ok) return { ok: false, why: `${p.why}; send ${commandSpecs[kind].example}` };
  const envelope = parseEnvelope(p.doc);
  return envelope.ok ? { ok: true, doc: p.doc, envelope } : envelope;
}

/**
 * `{"threshold": N}`, N within the bounds every threshold keeps (threshold-bounds.ts); `"force": true` takes a value
 * outside the model's own scale (service/line-control.ts).
 */
export function parseThresholdSet(payload: Buffer | string): Parsed<{ threshold: number; force: boolean } & Envelope> {
  const p = parseCommand('threshold', payload);
  const fields = p.ok ? thresholdFields(p.doc) : p;
  return p.ok && fields.ok ? { ...p.envelope, ...fields } : fields;
}

function thresholdFields(doc: Readonly<Record<string, unknown>>): Parsed<{ threshold: number; force: boolean }> {
  const t = doc['threshold'];
  if (thresholdProblem(t) !== undefined) return { ok: false, why: `"threshold" must be a number from ${thresholdRange}, got ${quoted(t)}` };
  const force = doc['force'];
  if (force !== undefined && typeof force !== 'boolean') return { ok: false, why: `"force" must be true or false, got ${quoted(force)}` };
  return { ok: true, threshold: t as number, force: force === true };
}

/** `{"product": "name"}` with a non-empty name. */
export function parseRecipe(payload: Buffer | string): Parsed<{ product: string } & Envelope> {
  const p = parseCommand('recipe', payload);
  const fields = p.ok ? recipeFields(p.doc) : p;
  return p.ok && fields.ok ? { ...p.envelope, ...fields } : fields;
}

function recipeFields(doc: Readonly<Record<string, unknown>>): Parsed<{ product: string }> {
  const product = doc['product'];
  if (typeof product !== 'string' || product === '') return { ok: false, why: `"product" must be a non-empty string, got ${quoted(product)}` };
  return { ok: true, product };
}

/** `{}`: the shadow model is what it promotes; a field beside the envelope is refused, so nobody believes it chose a version. */
function promoteFields(doc: Readonly<Record<string, unknown>>): Parsed<object> {
  const extra = Object.keys(doc).filter((k) => k !== 'requestId' && k !== 'by' && k !== 'retained');
  if (extra.length > 0) return { ok: false, why: `it takes no fields (it promotes the shadow model that runs; a version of the registry is promoted with uniad-edge models promote VERSION), got ${extra.map((k) => `"${k}"`).join(', ')}` };
  return { ok: true };
}

/** What an operator says of a verdict: a reject that was a good part, or a passed part that was defective. */
export const feedbackKinds = ['false-reject', 'missed-defect'] as const;
export type FeedbackKind = (typeof feedbackKinds)[number];

/** A defect kind names a folder of the dataset (`<product>/test/<defect>/`). */
const defectName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * `{"verdictId": "<camera>:<session>:<seq>", "kind": "false-reject" | "missed-defect"}`; a missed defect may name its
 * kind, `"defect": "scratch"` (default `missed`), the folder of the test split it is kept in.
 */
function feedbackFields(doc: Readonly<Record<string, unknown>>): Parsed<{ verdictId: string; kind: FeedbackKind; defect?: string }> {
  const { verdictId, kind, defect } = doc;
  if (typeof verdictId !== 'string' || verdictId.split(':').length !== 3 || verdictId.length > 200) return { ok: false, why: `"verdictId" must be a verdict's id, "<camera>:<session>:<seq>" as its verdict carries it, got ${quoted(verdictId)}` };
  if (!(feedbackKinds as readonly unknown[]).includes(kind)) return { ok: false, why: `"kind" must be ${feedbackKinds.map((k) => `"${k}"`).join(' or ')}, got ${quoted(kind)}` };
  if (defect !== undefined && (kind !== 'missed-defect' || typeof defect !== 'string' || !defectName.test(defect))) {
    return { ok: false, why: `"defect" names a missed defect's kind, a folder name of letters, digits, "_", "-" and ".", with "kind": "missed-defect" only, got ${quoted(defect)}` };
  }
  return { ok: true, verdictId, kind: kind as FeedbackKind, ...(typeof defect === 'string' ? { defect } : {}) };
}
