/**
 * The pieces the sections' schemas are built of: bounded numbers, TCP ports, MQTT topic levels, and fields checked
 * by a parser of another folder. Pure.
 */
import { z } from 'zod';
import { UniadError } from '../errors.js';
import { topicPartProblem } from '../sinks/topics.js';
import { fieldName, outOfRange } from '../zod-issues.js';

/** A value as an error message shows it: JSON-quoted (so a NUL or a space is visible), cut after 60 characters. */
export const shown = (v: string) => JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);

const idPattern = /^[A-Za-z0-9_-]+$/;

/**
 * A number in [min, max] (finite; an integer when `int`). `why` says what the field does and what goes wrong out of
 * range; the error shows the value, the range and why (zod-issues.ts).
 */
export function range(min: number, max: number, unit: string, why: string, int = false) {
  const message = `${outOfRange} ${int ? 'whole numbers ' : ''}${min} to ${max}${unit} — ${why}`;
  const n = z.number().finite(message);
  return (int ? n.int(message) : n).min(min, message).max(max, message);
}

export const port = () => range(0, 65535, '', 'a TCP port; 0 picks a free one', true);

/** site, node, line, camera id: each one MQTT topic level. MQTT's rule that is broken is named first, it says more. */
export const topicLevel = z.string().superRefine((v, ctx) => {
  const problem = topicPartProblem(v, false) ?? (idPattern.test(v) ? undefined : 'has a character other than letters, digits, "_" and "-"');
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${shown(v)} ${problem} (it is an MQTT topic level: use letters, digits, "_" or "-")` });
});

/** mqtt.prefix: one or more topic levels. */
export const topicPrefix = z.string().superRefine((v, ctx) => {
  const problem = topicPartProblem(v, true);
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${shown(v)} ${problem} (write topic levels joined by single "/", e.g. uniad/plant1)` });
});

/**
 * `schema`, and then `parse` (a parser that throws a coded error naming the field, as sources/uri.ts and
 * sinks/broker-url.ts do) on a value `schema` took: its message becomes this field's issue, and its code goes along
 * (`params.code`) so that a config refused for this one issue is refused with that code.
 */
export function parsedBy(schema: z.ZodString, parse: (value: string, field: string) => unknown) {
  return schema.superRefine((value, ctx) => {
    // zod refines a value that broke `schema` too; its issue is enough
    if (!schema.safeParse(value).success) return;
    const field = fieldName(ctx.path);
    try {
      parse(value, field);
    } catch (err) {
      if (!(err instanceof UniadError)) throw err;
      const named = `config: ${field}: `;
      const message = err.message.startsWith(named) ? err.message.slice(named.length) : err.message;
      ctx.addIssue({ code: z.ZodIssueCode.custom, message, params: { code: err.code } });
    }
  });
}
