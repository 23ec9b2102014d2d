import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeIssues, fieldName, outOfRange } from '../src/zod-issues.js';

const schema = z.object({ cameras: z.array(z.object({ fps: z.number(), mode: z.enum(['a', 'b']) }).strict()), rate: z.number().max(10, `${outOfRange} 0 to 10`).optional() }).strict();
const issuesOf = (doc: unknown, example?: string) => {
  const result = schema.safeParse(doc);
  if (result.success) throw new Error('expected the document to be refused');
  return describeIssues(result.error, { doc, example });
};

describe('zod issues in error messages', () => {
  it('should name a field as it is written in the document', () => {
    expect(fieldName(['cameras', 2, 'source'])).toBe('cameras[2].source');
    expect(fieldName([])).toBe('');
  });

  it('should say what is missing, unknown, of the wrong type or not among the choices', () => {
    const doc = { cameras: [{ fps: 'ten', mode: 'c', extra: 1 }], more: true };
    expect(issuesOf(doc)).toBe(
      'cameras[0].fps: expected number, got string; cameras[0].mode: "c" is not one of "a", "b"; cameras[0]: unknown key "extra" (remove); (top level): unknown key "more" (remove)',
    );
    expect(issuesOf({})).toBe('cameras: required');
  });

  it('should point a missing or unknown key to the example document when there is one', () => {
    expect(issuesOf({ cameras: [{ mode: 'a', x: 1, y: 2 }] }, 'config.example.yaml')).toBe(
      'cameras[0].fps: required (add it; see config.example.yaml); cameras[0]: unknown keys "x", "y" (remove, or check the spelling against config.example.yaml)',
    );
  });

  it('should show a value out of range as it was written, with the range', () => {
    expect(issuesOf({ cameras: [], rate: 12 })).toBe('rate: 12 is out of range: 0 to 10');
  });
});
