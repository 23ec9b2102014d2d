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

/** The tiny model as version 2.0.0 with bolt at 1.5, copied into `dir`: the candidate. */
function candidateIn(dir: string): string {
  const candidate = join(dir, 'candidate.onnx');
  copyFileSync(tinyModels.ok, candidate);
  const sidecar = JSON.parse(readFileSync(sidecarPathFor(tinyModels.ok), 'utf8'));
  writeFileSync(sidecarPathFor(candidate), JSON.stringify({ ...sidecar, version: '2.0.0', thresholds: { bolt: 1.5 } }));
  return candidate;
}

/** The service with the candidate as its shadow model until 5 shadow verdicts came; what a subscriber got, and the state folder. */
async function withShadow(dir: string, state: string, model: Record<string, unknown> = {}, shadow: Record<string, unknown> = {}) {
  const cfg = parseConfig({
    node: 'shadow',
    stateDir: join(dir, state),
    cameras: [{ id: 'cam1', line: 'line1', product: 'bolt', source: 'test:white', fps: 10 }],
    model: { path: tinyModels.ok, providers: ['cpu'], batchMaxSize: 2, batchMaxWaitMs: 10, ...model },
    shadow: { path: candidateIn(dir), providers: ['cpu'], summarySeconds: 1, ...shadow },
    mqtt: { queue: { store: 'memory' } },
    embeddedBroker: { port: 0, wsPort: 0 },
    dashboard: { enabled: false },
  });
  const service = await startService(cfg, { logger: silentLogger });
  const sub = await subscribe(service.brokerUrl!, ['uniad/site/#']);
  await sub.waitFor(5, 'shadow/verdict', 30_000);
  await service.stop('test end');
  await sub.close();
  return { sub, state: cfg.stateDir };
}

describe('shadow model in the service', () => {
  it('should publish the candidate\'s verdicts only on shadow/verdict and a summary a command prints', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uniad-shadow-svc-'));
    const { sub } = await withShadow(dir, 'state');

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
  });
});

describe("the shadow model's thresholds (issue 20, item 5)", () => {
  it('should say where each side\'s thresholds came from, and decide the candidate with a thresholds file calibrated for it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uniad-shadow-thr-'));
    const file = (model: string, bolt: number) => {
      const path = join(dir, `thresholds-${model}.json`);
      writeFileSync(path, JSON.stringify({ model, targetFalseReject: 0.01, products: { bolt }, cameras: {} }));
      return path;
    };
    const run = async (shadowFile: string | undefined) => {
      const { sub, state } = await withShadow(dir, `state-${shadowFile === undefined ? 'sidecar' : 'file'}`, { thresholdsFile: file('tiny@1.0.0', 0.8) }, shadowFile === undefined ? {} : { thresholdsFile: shadowFile });
      return { shadow: sub.json<Verdict>('shadow/verdict'), summary: sub.json<ShadowSummary>('shadow/shadow').at(-1)!, state };
    };

    // the live model on its thresholds file, the candidate on its sidecar: the report says the count mixes the two
    const mixed = await run(undefined);
    expect(mixed.shadow.every((v) => v.threshold === 1.5)).toBe(true);
    expect(mixed.summary.thresholds).toEqual({ live: { file: mixed.summary.frames }, candidate: { model: mixed.summary.frames } });
    expect(mixed.summary.caveat).toMatch(/^the live model decided with thresholds from a thresholds file \(uniad-edge calibrate\), the candidate with thresholds from the model's sidecar: .*shadow\.thresholdsFile/);
    const { stdout } = await promisify(execFile)(process.execPath, [join(repoRoot, 'bin/uniad-edge.js'), 'shadow-report', '--state-dir', mixed.state]);
    expect(stdout).toContain(`Thresholds (frames by origin, README "Threshold precedence"): live file ${mixed.summary.frames}; candidate model ${mixed.summary.frames}.`);
    expect(stdout).toContain('**Not the models alone:** the live model decided with thresholds from a thresholds file');

    // the candidate on a thresholds file calibrated for it, as it would decide once promoted: both sides alike
    const alike = await run(file('tiny@2.0.0', 0.9));
    expect(alike.shadow.every((v) => v.model === 'tiny@2.0.0' && v.threshold === 0.9 && v.reject)).toBe(true);
    expect(alike.summary).toMatchObject({ thresholds: { live: { file: alike.summary.frames }, candidate: { file: alike.summary.frames } }, caveat: null, rejectsDropped: 0 });
  });
});
