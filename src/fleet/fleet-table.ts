/** The fleet view (fleet-view.ts) as a text table for a terminal: one row a camera, columns aligned. Pure. */
import type { FleetRow } from './fleet-view.js';

const num = (x: number | null, digits: number) => (x === null ? '–' : x.toFixed(digits));
const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)} %`);

export function fleetTable(rows: readonly FleetRow[]): string {
  const header = ['node', 'state', 'line', 'camera', 'fps', 'rejects/min', 'reject rate', 'queued', 'model', 'detail', 'page'];
  const cells = rows.map((r) => [r.node, r.state, r.line, r.camera, num(r.fps, 1), num(r.rejectsPerMin, 1), pct(r.rejectRate), r.queued === null ? '–' : String(r.queued), r.model, r.detail, r.dashboardUrl ?? '–']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) => c.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  const nodes = new Set(rows.map((r) => r.node));
  const by = (state: string) => new Set(rows.filter((r) => r.state === state).map((r) => r.node)).size;
  const summary = `${nodes.size} node(s): ${by('online')} online, ${by('degraded')} degraded, ${by('offline')} offline, ${by('stale')} stale`;
  const causes = rows.filter((r, i) => r.causes.length > 0 && rows.findIndex((q) => q.node === r.node) === i).map((r) => `  ${r.node}: ${r.causes.join('; ')}`);
  return [line(header), ...cells.map(line), '', summary, ...(causes.length > 0 ? ['active causes:', ...causes] : []), ''].join('\n');
}
