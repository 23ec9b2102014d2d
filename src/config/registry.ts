/** `registry:` — the models on the box (src/registry/): how long a promoted model is on probation, and its guards. */
import { z } from 'zod';
import { range } from './fields.js';

export const registry = z
  .object({
    probation: z
      .object({
        seconds: range(0, 604_800, ' s', 'how long a promoted model is watched after it goes live; 0: no probation').default(300),
        maxNonFinite: range(0, 1_000_000, ' frames', 'more frames than this with output that is not a finite number roll it back', true).default(0),
        maxInferenceErrors: range(0, 1_000_000, ' frames', 'more frames than this that the model failed to score roll it back', true).default(0),
        maxRejectRate: range(0, 1, '', 'a share of the frames decided: more rejects than this roll it back').default(0.5),
        minFrames: range(1, 1_000_000, ' frames', 'frames decided before the reject rate is judged', true).default(50),
      })
      .strict()
      .default({}),
  })
  .strict();
