/**
 * deploy/prometheus/ as Prometheus and Alertmanager read it: the config and rules pass promtool, every alert has a
 * unit test in which it fires and one in which it does not (promtool test rules), every metric the rules read is one
 * the service exports, and the Alertmanager example passes amtool. promtool and amtool come from scripts/setup.sh.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ServiceMetrics } from '../../src/http/metrics.js';
import { repoRoot } from '../setup/paths.js';

const dir = join(repoRoot, 'deploy/prometheus');
const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: dir, encoding: 'utf8', timeout: 120_000 });

interface Rules {
  groups: { rules: { alert?: string; record?: string; expr: string }[] }[];
}
interface RuleTests {
  tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

const rules = parse(readFileSync(join(dir, 'rules/uniad-edge.rules.yml'), 'utf8')) as Rules;
const alerts = rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));

describe('Prometheus configuration (deploy/prometheus/)', () => {
  it('should pass promtool check config, with the rules it names', () => {
    const r = run('promtool', ['check', 'config', 'prometheus.yml']);
    expect(r.error).toBeUndefined();
    expect(r.stdout + r.stderr).toContain('SUCCESS: prometheus.yml is valid prometheus config file syntax');
    expect(r.status).toBe(0);
  });

  it('should pass promtool check rules', () => {
    const r = run('promtool', ['check', 'rules', 'rules/uniad-edge.rules.yml']);
    expect(r.stdout + r.stderr).toContain(`SUCCESS: ${rules.groups.flatMap((g) => g.rules).length} rules found`);
    expect(r.status).toBe(0);
  });

  it('should pass promtool test rules', () => {
    const r = run('promtool', ['test', 'rules', 'tests/uniad-edge.test.yml']);
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('should test every alert both firing and not firing', () => {
    expect(alerts).toEqual(expect.arrayContaining(['UniadNodeOffline', 'UniadCameraStalled', 'UniadQueueGrowing', 'UniadNonFiniteOutput', 'UniadRejectRateSpike', 'UniadFailSafeRejects']));
    const tests = (parse(readFileSync(join(dir, 'tests/uniad-edge.test.yml'), 'utf8')) as RuleTests).tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const alert of alerts) {
      const cases = tests.filter((t) => t.alertname === alert);
      expect(cases.some((t) => t.exp_alerts.length > 0), `${alert} fires in a test`).toBe(true);
      expect(cases.some((t) => t.exp_alerts.length === 0), `${alert} stays quiet in a test`).toBe(true);
    }
  });

  it('should read only metrics the service exports', async () => {
    const metrics = new ServiceMetrics({ model: 'm@1', provider: 'cpu', cameras: [{ id: 'c', line: 'l' }], scrape: () => ({ queued: 0, queueBound: 1, queueDropped: 0, brokerConnected: true, inferenceRestarts: 0 }) });
    const exported = new Set([...(await metrics.text()).matchAll(/^# TYPE (uniad_\w+) /gm)].map((m) => m[1]!));
    const read = new Set(rules.groups.flatMap((g) => g.rules.flatMap((r) => r.expr.match(/\buniad_[a-z_]+/g) ?? [])));
    expect([...read].filter((name) => !exported.has(name))).toEqual([]);
  });

  it('should give an Alertmanager example that amtool accepts', () => {
    const r = run('amtool', ['check-config', 'alertmanager.yml']);
    expect(r.error).toBeUndefined();
    expect(r.stdout).toContain("Checking 'alertmanager.yml'  SUCCESS");
    expect(r.status).toBe(0);
  });
});
