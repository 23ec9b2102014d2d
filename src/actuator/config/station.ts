/** `stations[]:` — one camera and the ejector downstream of it: part signal, conveyor, output, fail-safe. */
import { z } from 'zod';
import { topicLevel } from '../../config/fields.js';
import { conveyor } from './conveyor.js';
import { output } from './output.js';
import { signal } from './signal.js';

export const station = z
  .object({
    /** The service's camera id and line, as in its config: the decisions come on `<prefix>/<line>/<camera>/part`. */
    camera: topicLevel,
    line: topicLevel,
    signal: signal.optional(),
    conveyor,
    output,
    /** What a part with no decision by its ejection moment gets. `pass` must be asked for, and is warned about. */
    failSafe: z.enum(['reject', 'pass']).default('reject'),
  })
  .strict();
