import { describe, expect, it } from 'vitest';
import { fleetTable } from '../../src/fleet/fleet-table.js';
import { FleetStatuses, fleetView } from '../../src/fleet/fleet-view.js';
import { degradedPayload, offlinePayload, onlinePayload } from '../../src/sinks/payload.js';
import { nodeInfo } from '../sinks/fixtures.js';

const now = 1_700_000_100_000;
const stats = { queued: 3, cameras: { cam1: { line: 'line1', fps: 10, rejectsPerMin: 30, frames: 600, rejects: 30, lastAt: now }, cam2: { line: 'line1', fps: 0, rejectsPerMin: 0, frames: 0, rejects: 0, lastAt: null } } };

function statuses(entries: Record<string, string>): FleetStatuses {
  const s = new FleetStatuses();
  for (const [node, payload] of Object.entries(entries)) s.update(node, Buffer.from(payload));
  return s;
}

describe('the fleet view', () => {
  it('should give a row per camera with its line, rates and reject rate, and the node page', () => {
    const rows = statuses({ a: onlinePayload({ ...nodeInfo('a'), dashboardUrl: 'http://a:8080/' }, now - 1000, stats) }).view(now, 60_000);
    expect(rows).toEqual([
      { node: 'a', state: 'online', detail: '', model: 'uniad-demo@1.0.0', version: '0.1.0', line: 'line1', camera: 'cam1', fps: 10, rejectsPerMin: 30, rejectRate: 0.05, queued: 3, causes: [], dashboardUrl: 'http://a:8080/' },
      { node: 'a', state: 'online', detail: '', model: 'uniad-demo@1.0.0', version: '0.1.0', line: 'line1', camera: 'cam2', fps: 0, rejectsPerMin: 0, rejectRate: null, queued: 3, causes: [], dashboardUrl: 'http://a:8080/' },
    ]);
  });

  it('should keep the reject rate at most 1 when the rounded figures say a hair more', () => {
    const rounded = { cameras: { cam1: { fps: 4.99, rejectsPerMin: 299.7 } } };
    expect(statuses({ a: onlinePayload(nodeInfo('a'), now, rounded) }).view(now, 60_000)[0]!.rejectRate).toBe(1);
  });

  it('should name the causes of a degraded node, the reason of an offline one, and call an old status stale', () => {
    const rows = statuses({
      b: degradedPayload(nodeInfo('b'), [{ code: 'QUEUE_DISK', message: 'disk full' }], now - 1000),
      c: offlinePayload(nodeInfo('c'), 'connection lost'),
      d: onlinePayload(nodeInfo('d'), now - 120_000),
    }).view(now, 60_000);
    const byNode = (n: string) => rows.filter((r) => r.node === n).map((r) => [r.camera, r.state, r.detail]);
    expect(byNode('b')).toEqual([['cam1', 'degraded', 'QUEUE_DISK'], ['cam2', 'degraded', 'QUEUE_DISK']]);
    expect(byNode('c')).toEqual([['', 'offline', 'connection lost']]);
    expect(byNode('d')).toEqual([['cam1', 'stale', `last heard ${new Date(now - 120_000).toISOString()}`], ['cam2', 'stale', `last heard ${new Date(now - 120_000).toISOString()}`]]);
    expect(rows.find((r) => r.node === 'b')!.causes).toEqual(['QUEUE_DISK: disk full']);
  });

  it('should forget a node whose retained status was cleared, and keep one that is no JSON as unknown', () => {
    const s = statuses({ a: onlinePayload(nodeInfo('a'), now), x: 'not json' });
    s.update('a', Buffer.alloc(0));
    expect(fleetView(new Map([['x', { state: 'unknown' }]]), now, 60_000)).toEqual(s.view(now, 60_000));
  });

  it('should print a table with a summary and the active causes', () => {
    const rows = statuses({ a: onlinePayload(nodeInfo('a'), now, stats), b: degradedPayload(nodeInfo('b'), [{ code: 'QUEUE_DISK', message: 'disk full' }], now) }).view(now, 60_000);
    const text = fleetTable(rows);
    expect(text.split('\n')[0]).toMatch(/^node\s+state\s+line\s+camera\s+fps\s+rejects\/min\s+reject rate\s+queued\s+model\s+detail\s+page$/);
    expect(text).toMatch(/^a\s+online\s+line1\s+cam1\s+10\.0\s+30\.0\s+5\.0 %\s+3\s+uniad-demo@1\.0\.0\s+–$/m);
    expect(text).toContain('2 node(s): 1 online, 1 degraded, 0 offline, 0 stale\nactive causes:\n  b: QUEUE_DISK: disk full\n');
  });
});
