/**
 * The shadow model in the running service: its verdicts only on `shadow/verdict` with its own model and threshold,
 * the comparison retained on `<prefix>/shadow/<node>` and printed by `uniad-edge shadow-report`.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { sidecarPathFor } from '../../src/pipeline/sidecar.js';
import type { ShadowSummary } from '../../src/pipeline/shadow-stats.js';
import { startService } from '../../src/service.js';
import type { Verdict } from '../../src/types.js';
import { repoRoot } from '../setup/paths.js';
import { tinyModels } from '../setup/tiny-model.js';
import { subscribe } from '../support/subscriber.js';

describe('shadow model in the service', () => {
  it('should publish the candidate\'s verdicts only on shadow/verdict and a summary a command prints', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uniad-shadow-svc-'));
    const candidate = join(dir, 'candidate.onnx');
    copyFileSync(tinyModels.ok, candidate);
    const sidecar = JSON.parse(readFileSync(sidecarPathFor(tinyModels.ok), 'utf8'));
    writeFileSync(sidecarPathFor(candidate), JSON.stringify({ ...sidecar, version: '2.0.0', thresholds: { bolt: 1.5 } }));
    const cfg = parseConfig({
      node: 'shadow',
      stateDir: join(dir, 'state'),
      cameras: [{ id: 'cam1', line: 'line1', product: 'bolt', source: 'test:white', fps: 10 }],
      model: { path: tinyModels.ok, providers: ['cpu'], batchMaxSize: 2, batchMaxWaitMs: 10 },
      shadow: { path: candidate, providers: ['cpu'], summarySeconds: 1 },
      mqtt: { queue: { store: 'memory' } },
      embeddedBroker: { port: 0, wsPort: 0 },
      dashboard: { enabled: false },
    });
    const service = await startService(cfg, { logger: silentLogger });
    const sub = await subscribe(service.brokerUrl!, ['uniad/site/#']);
    await sub.waitFor(5, 'shadow/verdict', 30_000);
    await service.stop('test end');

    const shadow = sub.json<Verdict>('shadow/verdict');
    const live = sub.on('verdict').filter((m) => !m.topic.endsWith('/shadow/verdict')).map((m) => JSON.parse(m.payload.toString()) as Verdict);
    expect(live.length).toBeGreaterThan(0);
    // white frames score 1.0: the live model (bolt 0.5) rejects them, the candidate (bolt 1.5) would pass them
    expect(shadow.every((v) => v.model === 'tiny@2.0.0' && v.threshold === 1.5 && !v.reject)).toBe(true);
    expect(live.every((v) => v.model === 'tiny@1.0.0' && v.reject)).toBe(true);
    const summary = sub.json<ShadowSummary>('shadow/shadow').at(-1)!;
    expect(summary).toMatchObject({ live: 'tiny@1.0.0', candidate: 'tiny@2.0.0', agreement: 0, rejectsAdded: 0 });
    expect(summary.frames).toBeGreaterThanOrEqual(5);
    expect(summary.rejectsDropped).toBe(summary.frames);

    const { stdout } = await promisify(execFile)(process.execPath, [join(repoRoot, 'bin/uniad-edge.js'), 'shadow-report', '--state-dir', join(dir, 'state')]);
    expect(stdout).toMatch(/# Shadow model tiny@2\.0\.0 against live tiny@1\.0\.0/);
    expect(stdout).toMatch(new RegExp(`\\| ${summary.frames} \\| 0\\.0 % \\|`));
    await sub.close();
  });
});
