/**
 * MQTT payloads of the contract, as JSON text. Pure.
 *
 * The verdict payload has exactly the contract fields (id, camera, line, seq, capturedAt, decidedAt, score,
 * threshold, reject, reason, model) plus `product` and `normalizedScore`, in that order, whatever else a Verdict object carries.
 */
import type { StatusCause, Verdict } from '../types.js';

export function verdictPayload(v: Verdict): string {
  return JSON.stringify({
    id: v.id,
    camera: v.camera,
    line: v.line,
    product: v.product,
    seq: v.seq,
    capturedAt: v.capturedAt,
    decidedAt: v.decidedAt,
    score: v.score,
    threshold: v.threshold,
    normalizedScore: v.normalizedScore,
    reject: v.reject,
    reason: v.reason,
    model: v.model,
  });
}

/** What the service announces about itself on `<prefix>/status/<node>` (retained). */
export interface NodeInfo {
  readonly node: string;
  /** `<name>@<version>` of the loaded model. */
  readonly model: string;
  /** The execution provider as the log names it, e.g. `tensorrt (fp16, cached engine)`. */
  readonly provider: string;
  readonly cameras: readonly string[];
  /** uniad-edge version. */
  readonly version: string;
  /** Epoch ms when the service started. */
  readonly startedAt: number;
}

/** Periodic figures the service adds to its status (service/observability.ts); absent until the first period. */
export type StatusStats = object;

export function onlinePayload(info: NodeInfo, at: number, stats?: StatusStats): string {
  return JSON.stringify({ state: 'online', node: info.node, model: info.model, provider: info.provider, cameras: info.cameras, version: info.version, startedAt: info.startedAt, at, ...(stats && { stats }) });
}

/**
 * `degraded`: the node runs and publishes a verdict for every frame, but something keeps it from doing all its job
 * (a model that keeps failing or gives NaN, a full disk, a camera losing frames, ...). `causes` lists every one
 * that holds now, each `{code, message}` (codes of src/errors.ts); it is `online` again when none is left.
 */
export function degradedPayload(info: NodeInfo, causes: readonly StatusCause[], at: number, stats?: StatusStats): string {
  return JSON.stringify({ state: 'degraded', node: info.node, model: info.model, causes, startedAt: info.startedAt, at, ...(stats && { stats }) });
}

/**
 * `offline` on a clean close (`reason: "closed"`, with the time) and as the last will (`reason: "connection lost"`,
 * no time: the broker publishes it later, when it notices).
 */
export function offlinePayload(info: NodeInfo, reason: 'closed' | 'connection lost', at?: number): string {
  return JSON.stringify({ state: 'offline', node: info.node, reason, startedAt: info.startedAt, ...(at === undefined ? {} : { at }) });
}
