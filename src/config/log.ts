/** `log:` — how much the service logs, and how often a stats line. */
import { z } from 'zod';
import { logLevels } from '../types.js';
import { range } from './fields.js';

export const log = z
  .object({
    level: z.enum(logLevels).default('info'),
    /** Seconds between `stats` log lines (fps, rejects, queue depth, latency per camera); 0 = none. */
    statsIntervalSeconds: range(0, 86_400, ' s', 'how often a stats line is logged; 0 = never').default(60),
  })
  .strict();
