/**
 * MQTT payloads of the contract, as JSON text. Pure.
 *
 * The verdict payload has exactly the contract fields (id, camera, line, seq, capturedAt, decidedAt, score,
 * threshold, reject, reason, model) plus `product` and `normalizedScore`, in that order, and, for a camera with
 * regions, `regions` (each region's name, product, score, threshold, normalizedScore, reject), whatever else a Verdict
 * object carries, and `partId` last for a frame of a part. The part payload has the part contract's fields
 * (docs/parts.md).
 */
import type { PartVerdict, StatusCause, Verdict } from '../types.js';

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
    ...(v.regions === undefined ? {} : { regions: v.regions.map((r) => ({ name: r.name, product: r.product, score: r.score, threshold: r.threshold, normalizedScore: r.normalizedScore, reject: r.reject })) }),
    ...(v.partId === undefined ? {} : { partId: v.partId }),
  });
}

/** What the `part` and `part/reject` topics carry: one decision per part. */
export function partPayload(p: PartVerdict): string {
  return JSON.stringify({
    id: p.id,
    partId: p.partId,
    camera: p.camera,
    line: p.line,
    product: p.product,
    verdictIds: p.verdictIds,
    reject: p.reject,
    reason: p.reason,
    score: p.score,
    threshold: p.threshold,
    signalAt: p.signalAt,
    decidedAt: p.decidedAt,
    model: p.model,
    source: p.source,
  });
}

/** A camera's state as `<prefix>/<line>/<camera>/state` carries it. */
export interface CameraStateInfo {
  readonly camera: string;
  readonly line: string;
  /** `starting` (no frame yet), `up`, `down` (no frame is being taken: its parts pass uninspected), `ended` (a file). */
  readonly state: 'starting' | 'up' | 'down' | 'ended';
  /** Epoch ms the state began. */
  readonly since: number;
  readonly reason?: string;
  /** What a part that passes the camera while it is not `up` must get (model.failSafe): no verdict will come for it. */
  readonly failSafe: 'reject' | 'pass';
}

/**
 * The retained per-camera state: the contract a reject actuator holds its output on. While it is not `up` no frame of
 * the camera is taken, so no verdict comes for its parts; the actuator gives each such part `failSafe` (and the node's
 * `offline` status means the same for every camera).
 */
export function cameraStatePayload(s: CameraStateInfo, at: number): string {
  return JSON.stringify({ camera: s.camera, line: s.line, state: s.state, since: s.since, ...(s.reason !== undefined && { reason: s.reason }), failSafe: s.failSafe, at });
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
  /** The line of each camera, so a fleet view can group them before the first stats. */
  readonly lines?: Readonly<Record<string, string>>;
  /** Where a person reaches this node's own dashboard page (the fleet view links to it); absent without one. */
  readonly dashboardUrl?: string;
}

/** What every `online` and `degraded` status says of the node, in this order. */
function described(info: NodeInfo) {
  return { node: info.node, model: info.model, provider: info.provider, cameras: info.cameras, ...(info.lines && { lines: info.lines }), version: info.version, startedAt: info.startedAt, ...(info.dashboardUrl && { dashboardUrl: info.dashboardUrl }) };
}

/** Periodic figures the service adds to its status (service/observability.ts); absent until the first period. */
export type StatusStats = object;

export function onlinePayload(info: NodeInfo, at: number, stats?: StatusStats): string {
  return JSON.stringify({ state: 'online', ...described(info), at, ...(stats && { stats }) });
}

/**
 * `degraded`: the node runs and publishes a verdict for every frame, but something keeps it from doing all its job
 * (a model that keeps failing or gives NaN, a full disk, a camera losing frames, ...). `causes` lists every one
 * that holds now, each `{code, message}` (codes of src/errors.ts); it is `online` again when none is left. It
 * describes the node as `online` does, so a fleet view that first sees it degraded knows it all the same.
 */
export function degradedPayload(info: NodeInfo, causes: readonly StatusCause[], at: number, stats?: StatusStats): string {
  return JSON.stringify({ state: 'degraded', ...described(info), causes, at, ...(stats && { stats }) });
}

/**
 * `offline` on a clean close (`reason: "closed"`, with the time) and as the last will (`reason: "connection lost"`,
 * no time: the broker publishes it later, when it notices).
 */
export function offlinePayload(info: NodeInfo, reason: 'closed' | 'connection lost', at?: number): string {
  return JSON.stringify({ state: 'offline', node: info.node, reason, startedAt: info.startedAt, ...(at === undefined ? {} : { at }) });
}
