import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ServiceMetrics } from '../../src/http/metrics.js';
import { repoRoot } from '../setup/paths.js';

describe('Grafana dashboard (deploy/grafana/uniad-edge.json)', () => {
  it('should query only metrics the service exports, and every uniad_ metric it exports', async () => {
    const dashboard = JSON.parse(readFileSync(join(repoRoot, 'deploy/grafana/uniad-edge.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    const queried = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/uniad_[a-z_]+/g) ?? [])));
    const metrics = new ServiceMetrics({ model: 'm@1', provider: 'cpu', cameras: [{ id: 'c', line: 'l' }], scrape: () => ({ queued: 0, queueBound: 1, queueDropped: 0, brokerConnected: true, inferenceRestarts: 0 }) });
    const text = await metrics.text();
    const exported = new Set([...text.matchAll(/^# TYPE (uniad_\w+) (\w+)/gm)].flatMap(([, name, type]) => (type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!])));
    for (const name of queried) expect(exported, name).toContain(name);
    const families = new Set([...exported].map((n) => n.replace(/_(bucket|sum|count)$/, '')));
    for (const family of families) expect([...queried].some((q) => q.startsWith(family)), family).toBe(true);
  });

  it('should offer a node selector that every panel filters by', () => {
    const dashboard = JSON.parse(readFileSync(join(repoRoot, 'deploy/grafana/uniad-edge.json'), 'utf8')) as { templating: { list: { name: string; definition?: string }[] }; panels: { title: string; targets: { expr: string }[] }[] };
    expect(dashboard.templating.list.find((v) => v.name === 'node')?.definition).toBe('label_values(uniad_frames_total, node)');
    const unfiltered = dashboard.panels.flatMap((p) => p.targets.filter((t) => !t.expr.includes('node=~"$node"')).map(() => p.title));
    expect(unfiltered).toEqual([]);
  });
});
