/**
 * One view of the plant from the retained statuses on the backbone (`<prefix>/status/<node>`, sinks/payload.ts):
 * a row per camera of every node, with the node's state (a status not refreshed for `staleAfterMs` is `stale`: a
 * node that died together with its broker node leaves no last will, measured in docs/fleet.md), its model, the
 * camera's rates and reject rate, the active causes, and the link to the node's own page. Pure.
 */

/** A status as the nodes publish it; every field may be missing from an older or foreign publisher. */
export interface NodeStatus {
  readonly state?: string;
  readonly node?: string;
  readonly model?: string;
  readonly version?: string;
  readonly cameras?: readonly string[];
  readonly lines?: Readonly<Record<string, string>>;
  readonly dashboardUrl?: string;
  readonly reason?: string;
  readonly causes?: readonly { readonly code: string; readonly message: string }[];
  readonly at?: number;
  readonly stats?: {
    readonly queued?: number;
    readonly cameras?: Readonly<Record<string, { readonly line?: string; readonly fps?: number; readonly rejectsPerMin?: number; readonly frames?: number; readonly rejects?: number; readonly lastAt?: number | null }>>;
  };
}

export interface FleetRow {
  readonly node: string;
  /** online, degraded, offline, stale, or what the node said. */
  readonly state: string;
  /** Why offline (`closed`, `connection lost`), stale (last heard), or degraded (the cause codes). */
  readonly detail: string;
  readonly model: string;
  readonly version: string;
  readonly line: string;
  /** Empty for a node that names no camera. */
  readonly camera: string;
  readonly fps: number | null;
  readonly rejectsPerMin: number | null;
  /** Rejects / verdicts over the node's last minute, 0..1; null without verdicts. */
  readonly rejectRate: number | null;
  readonly queued: number | null;
  readonly causes: readonly string[];
  readonly dashboardUrl: string | null;
}

const at = (n: number | undefined) => (n === undefined ? 'never' : new Date(n).toISOString());

function stateOf(s: NodeStatus, now: number, staleAfterMs: number): { state: string; detail: string } {
  const causes = (s.causes ?? []).map((c) => c.code);
  if (s.state === 'offline') return { state: 'offline', detail: s.reason ?? '' };
  if ((s.state === 'online' || s.state === 'degraded') && (s.at === undefined || now - s.at > staleAfterMs)) return { state: 'stale', detail: `last heard ${at(s.at)}` };
  return { state: s.state ?? 'unknown', detail: causes.join(', ') };
}

/** Rows of every node's cameras, nodes by name, cameras by line and id. */
export function fleetView(statuses: ReadonlyMap<string, NodeStatus>, now: number, staleAfterMs: number): FleetRow[] {
  const rows: FleetRow[] = [];
  for (const node of [...statuses.keys()].sort()) {
    const s = statuses.get(node)!;
    const { state, detail } = stateOf(s, now, staleAfterMs);
    const figures = s.stats?.cameras ?? {};
    const cameras = [...new Set([...(s.cameras ?? []), ...Object.keys(figures)])];
    const base = { node, state, detail, model: s.model ?? '', version: s.version ?? '', queued: s.stats?.queued ?? null, causes: (s.causes ?? []).map((c) => `${c.code}: ${c.message}`), dashboardUrl: s.dashboardUrl ?? null };
    if (cameras.length === 0) rows.push({ ...base, line: '', camera: '', fps: null, rejectsPerMin: null, rejectRate: null });
    const own = cameras.map((camera) => {
      const f = figures[camera];
      const fps = f?.fps ?? null;
      const rejectsPerMin = f?.rejectsPerMin ?? null;
      // both figures come rounded to 2 decimals (sinks/camera-stats.ts): their ratio may pass 1 by a hair
      const rejectRate = fps !== null && rejectsPerMin !== null && fps > 0 ? Math.min(1, rejectsPerMin / (fps * 60)) : null;
      return { ...base, line: s.lines?.[camera] ?? f?.line ?? '', camera, fps, rejectsPerMin, rejectRate };
    });
    rows.push(...own.sort((a, b) => a.line.localeCompare(b.line) || a.camera.localeCompare(b.camera)));
  }
  return rows;
}

/** The latest status of each node, kept from the messages on `<prefix>/status/+`. */
export class FleetStatuses {
  private readonly latest = new Map<string, NodeStatus>();

  /** A status message; one that is not JSON is kept as `unknown`, an empty one (a cleared retained topic) removes the node. */
  update(node: string, payload: Buffer): void {
    if (payload.length === 0) {
      this.latest.delete(node);
      return;
    }
    try {
      this.latest.set(node, JSON.parse(payload.toString('utf8')) as NodeStatus);
    } catch {
      this.latest.set(node, { state: 'unknown' });
    }
  }

  get size(): number {
    return this.latest.size;
  }

  view(now: number, staleAfterMs: number): FleetRow[] {
    return fleetView(this.latest, now, staleAfterMs);
  }
}
