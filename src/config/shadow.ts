/** `shadow:` — a candidate model run beside the live one on the same frames, only when the line is idle; never acted on. */
import { z } from 'zod';
import { range } from './fields.js';
import { inference } from './inference.js';

export const shadow = z
  .object({
    path: z.string().min(1),
    ...inference,
    /** Seconds between retained summaries on <prefix>/shadow/<node> (and the state folder's shadow-report.json). */
    /**
     * The candidate's thresholds from `uniad-edge calibrate` with the candidate model: it decides with them (README,
     * "Shadow model"), as it would once promoted; without one, with its sidecar's.
     */
    thresholdsFile: z.string().min(1).optional(),
    summarySeconds: range(1, 86_400, ' s', 'how often the comparison is published').default(10),
  })
  .strict();
