/**
 * Item 1 of issue 9: a model whose output is not finite passed every part (`reason: ok, reject: false, score: null`,
 * 343 of 343). Now, in the real service process with a model that gives NaN for dark frames: every dark part gets an
 * `error` verdict with the fail-safe decision (reject), seen by an independent subscriber, the start of it is
 * logged with camera and model, it is counted, and the retained status says `degraded` with the cause while it
 * persists, naming only the camera concerned. `check` dry-runs a model and refuses non-finite output.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/types.js';
import { repoRoot } from '../setup/paths.js';
import { tinyModels } from '../setup/tiny-model.js';
import { subscribe } from '../support/subscriber.js';
import { startServiceProcess, writeConfig } from './service-process.js';

interface Status {
  readonly state: string;
  readonly causes?: { code: string; message: string }[];
}

describe('non-finite model output', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'uniad-non-finite-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should give dark parts error verdicts that reject, log and count them, and say degraded naming the camera', async () => {
    const svc = startServiceProcess(
      writeConfig(dir, 'nan.yaml', {
        node: 'nan',
        stateDir: join(dir, 'state'),
        cameras: [
          { id: 'dark', line: 'line1', product: 'bolt', source: 'test:black', fps: 20 },
          { id: 'bright', line: 'line1', product: 'bolt', source: 'test:white', fps: 20 },
        ],
        model: { path: tinyModels.nanDark, providers: ['cpu'], threads: 1 },
        mqtt: { queue: { store: 'memory' } },
        embeddedBroker: { port: 0, wsPort: 0 },
        dashboard: { enabled: false },
      }),
      dir,
    );
    const { url } = await svc.waitForLog('embedded broker listening');
    const sub = await subscribe(url as string, ['uniad/site/status/nan', 'uniad/site/line1/+/verdict']);
    const degraded = () => sub.json<Status>('status/nan').find((s) => s.state === 'degraded');
    const until = Date.now() + 30_000;
    while ((!degraded() || sub.on('verdict').length < 40) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const stop = await svc.stop();
    // the service publishes its last verdicts before `offline`, on one connection: once `offline` is here, so are they
    await sub.until(() => sub.json<Status>('status/nan').some((s) => s.state === 'offline'), 'the retained status offline after the stop');

    const verdicts = sub.json<Verdict>('verdict');
    const dark = verdicts.filter((v) => v.camera === 'dark');
    const bright = verdicts.filter((v) => v.camera === 'bright');
    const stopped = svc.logs.find((l) => l.msg === 'stopped')!;
    const first = svc.logs.find((l) => l.msg === 'model output is not a finite number: fail-safe verdict');
    console.log(`non-finite: ${dark.length} dark verdicts (reasons ${[...new Set(dark.map((v) => v.reason))]}), ${bright.length} bright (${[...new Set(bright.map((v) => v.reason))]}); stopped ${JSON.stringify(stopped['nonFinite'])}; status ${JSON.stringify(degraded())}`);

    expect(dark.length).toBeGreaterThan(0);
    expect(new Set(dark.map((v) => v.id)).size).toBe(dark.length);
    expect(dark.every((v) => v.reason === 'error' && v.reject === true && v.score === null)).toBe(true);
    expect(bright.length).toBeGreaterThan(0);
    expect(bright.every((v) => v.reason === 'anomaly' && v.score === 1)).toBe(true); // white: finite, scored as the formula says
    expect(first).toMatchObject({ level: 'error', camera: 'dark', model: 'tiny@1.0.0', output: `score is NaN, anomaly map: ${64 * 64} of ${64 * 64} values not finite`, decision: 'reject' });
    expect(svc.logs.filter((l) => l.msg === 'model output is not a finite number: fail-safe verdict')).toHaveLength(1); // once per run of them, not per frame
    expect(stopped['nonFinite']).toEqual({ dark: dark.length });
    expect(degraded()!.causes).toEqual([
      {
        code: 'NON_FINITE_OUTPUT',
        message: expect.stringMatching(/^inference: model tiny@1\.0\.0 gives output that is not a finite number for camera dark \(score is NaN, .*\); those parts get "error" verdicts \(rejected\)/),
      },
    ]);
    expect(stop.code).toBe(0);
    await sub.close();
  });

  it('should make check dry-run the model and refuse one whose score or map is not finite', async () => {
    const check = async (model: string) => {
      const path = writeConfig(dir, 'check.yaml', { cameras: [{ id: 'cam1', line: 'l', product: 'bolt', source: 'test:ball' }], model: { path: model, providers: ['cpu'] } });
      return promisify(execFile)(process.execPath, [join(repoRoot, 'bin/uniad-edge.js'), 'check', '--config', path], { cwd: dir }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    };
    const nan = await check(tinyModels.nan);
    expect(nan.code).toBe(1);
    expect(nan.stderr).toContain(`uniad-edge: model: "${tinyModels.nan}" gives output that is not a finite number on a test frame (black frame: score is NaN, anomaly map: 4096 of 4096 values not finite); every part would get an "error" verdict (re-export it`);
    expect(nan.stdout).not.toContain('OK');
    const map = await check(tinyModels.nanMap);
    expect(map.stderr).toContain('(black frame: anomaly map: 1 of 4096 values not finite)');
    const dark = await check(tinyModels.nanDark);
    expect(dark.stderr).toContain('(black frame: score is NaN');
    const ok = await check(tinyModels.ok);
    expect(ok).toMatchObject({ code: 0, stdout: 'config and model OK: 1 camera(s), model tiny@1.0.0 on cpu\n' });
  });
});
