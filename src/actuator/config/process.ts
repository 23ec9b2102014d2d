/** The actuator process's own sections: `service:` (whose status it watches), `metrics:`, `journal:`, `log:`. */
import { z } from 'zod';
import { port, range, topicLevel } from '../../config/fields.js';
import { logLevels } from '../../types.js';

/**
 * Status causes (codes of src/errors.ts on the service's `degraded` status) during which a station without a PLC
 * signal holds its ejector in reject: its parts are only known from decisions, and these say decisions may stop.
 */
export const defaultHoldCauses = ['CAMERA_STALLED', 'INFERENCE_FAILING', 'INFERENCE_RESTARTING', 'NON_FINITE_OUTPUT'];

export const service = z
  .object({
    /** The service's node name: its retained status is `<prefix>/status/<node>`. */
    node: topicLevel.default('edge'),
    holdCauses: z.array(z.string().regex(/^[A-Z0-9_]+$/, 'a status cause code, e.g. CAMERA_STALLED')).default(defaultHoldCauses),
  })
  .strict();

export const metrics = z
  .object({
    /** false: no HTTP port. */
    enabled: z.boolean().default(true),
    host: z.string().default('127.0.0.1'),
    port: port().default(8090),
  })
  .strict();

export const journal = z
  .object({
    /** The journal of ejections is kept at most twice this size (the file and one older). */
    maxBytes: range(4096, 10 * 2 ** 30, ' bytes', 'the journal of ejections is kept at most twice this size on disk', true).default(64 * 2 ** 20),
  })
  .strict();

export const log = z.object({ level: z.enum(logLevels).default('info') }).strict();
