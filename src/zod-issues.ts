import type { z } from 'zod';
import { uniadError, UniadError } from './errors.js';

/** `cameras[2].source` from zod's path. */
export function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
}

/** Starts the message of a bound that was broken; the issue is then shown with the value as written. */
export const outOfRange = 'out of range:';

export interface IssueContext {
  /** The document that was parsed, to show a value out of range as it was written. */
  readonly doc?: unknown;
  /** A file that shows a valid document (config.example.yaml); the fix for a missing or unknown key points to it. */
  readonly example?: string;
}

/** The value at `path` in the document as written. */
function valueAt(doc: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined), doc);
}

/** A rule about several fields names them as one label (`mqtt.cert/mqtt.key`) in `params.field`; its path is the field to fix. */
const labelOf = (issue: z.ZodIssue): string | undefined => (issue.code === 'custom' && typeof issue.params?.field === 'string' ? issue.params.field : undefined);

/** What is wrong with one field, for an error message: `cameras[0].fps: expected number, got string`. */
export function describeIssue(issue: z.ZodIssue, { doc, example }: IssueContext = {}): string {
  const field = labelOf(issue) ?? (fieldName(issue.path) || '(top level)');
  if (issue.message.startsWith(outOfRange)) return `${field}: ${String(valueAt(doc, issue.path))} is ${issue.message}`;
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${field}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (remove${example ? `, or check the spelling against ${example}` : ''})`;
    case 'invalid_type':
      if (issue.received === 'undefined') return `${field}: required${example ? ` (add it; see ${example})` : ''}`;
      return `${field}: expected ${issue.expected}, got ${issue.received}`;
    case 'invalid_union_discriminator':
      return `${field}: ${JSON.stringify(valueAt(doc, issue.path)) ?? 'nothing'} is not one of ${issue.options.map((o) => `"${String(o)}"`).join(', ')}`;
    case 'invalid_enum_value':
      return `${field}: "${String(issue.received)}" is not one of ${issue.options.map((o) => `"${String(o)}"`).join(', ')}`;
    default:
      return `${field}: ${issue.message}`;
  }
}

/** Every issue of a failed parse, one after the other. */
export const describeIssues = (error: z.ZodError, context: IssueContext = {}): string => error.issues.map((issue) => describeIssue(issue, context)).join('; ');

/**
 * A config refused: CONFIG_INVALID with every issue; a config refused for one issue found by a parser with a code of
 * its own (SOURCE_SCHEME, MQTT_URL, …: config/fields.ts `parsedBy`) keeps that code.
 */
export function configRefusal(error: z.ZodError, context: IssueContext = {}): UniadError {
  const refused = uniadError('CONFIG_INVALID', describeIssues(error, context));
  const [only, ...more] = error.issues;
  const code = more.length === 0 && only?.code === 'custom' ? (only.params?.code as UniadError['code'] | undefined) : undefined;
  return code === undefined ? refused : new UniadError(code, refused.message);
}
