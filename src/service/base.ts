/**
 * Folder service/: the running service as a list of parts, one a file, each a `Part` of lifecycle.ts with its start
 * and its stop. startService (../service.ts) lists them in start order: model.ts, broker.ts, sink.ts, line-control.ts
 * (`control`), http.ts, shadow.ts, archive.ts, parts.ts, cameras.ts, inspection.ts, reporting.ts, reload.ts,
 * registry.ts, commands.ts; lifecycle.ts starts each with what the parts before it gave and this base, and stops them
 * in reverse, on stop and on any start failure. A part's type names what it needs, so it cannot reach a part listed
 * after it. The other files are what the parts are made of (camera-frames.ts, camera-health.ts, keyed-merge.ts,
 * flow-control.ts, frame-loss.ts, observability.ts, outbox-store.ts, part-signals.ts, thresholds.ts,
 * command-registry.ts, reload-plan.ts), the Service API (api.ts, and running.ts over the started parts) and
 * `uniad-edge check`'s own path (check.ts, capacity.ts). It is the wiring: it may import any folder; only service.ts,
 * commands/ and tests import it.
 */
import type { Config } from '../config.js';
import type { StatusCauses } from '../sinks/status-causes.js';
import type { ServiceOptions } from './api.js';

/** What the first part starts with, and every part may use: the config, the caller's options, what the run shares. */
export interface ServiceBase extends ServiceOptions {
  /** The config, with the model registry's active version as its model once one was promoted (service/registry.ts). */
  readonly cfg: Config;
  /** The config as given: its own `model.path` is the model when the registry has no active version. */
  readonly configured: Config;
  readonly startedAt: number;
  /** Distinguishes service runs in verdict ids (service.ts `runIdAt`: unique even when two runs start at one time). */
  readonly runId: string;
  /** Why the status says `degraded`: set by the model's supervision, the offline queue, the cameras' frame loss. */
  readonly causes: StatusCauses;
}
