/**
 * Every reject of a run leaves evidence: the service inspects the 60-frame test video with a threshold that rejects
 * nearly every frame while the live heatmap topic is limited to one heatmap a minute; afterwards every reject id a
 * real subscriber received is found in the archive (with its heatmap when it is an anomaly), also by the command.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { findEvidence } from '../../src/evidence/archive.js';
import { silentLogger } from '../../src/log.js';
import { startService } from '../../src/service.js';
import { statePaths } from '../../src/state-dir.js';
import type { Verdict } from '../../src/types.js';
import { repoRoot } from '../setup/paths.js';
import { tinyModels } from '../setup/tiny-model.js';
import { testVideo } from '../setup/video.js';
import { subscribe } from '../support/subscriber.js';

describe('evidence archive in the service', () => {
  it('should archive every reject of a run, heatmap included, though the live heatmap topic skipped most', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'uniad-evidence-run-'));
    const cfg = parseConfig({
      node: 'evidence',
      stateDir,
      cameras: [{ id: 'cam1', line: 'line1', product: 'bolt', source: testVideo.path, threshold: 0.05 }],
      model: { path: tinyModels.ok, providers: ['cpu'], batchMaxSize: 8, batchMaxWaitMs: 10, deadlineMs: 30_000 },
      mqtt: { queue: { store: 'memory' }, heatmaps: { minIntervalMs: 60_000 } },
      embeddedBroker: { port: 0, wsPort: 0 },
      dashboard: { enabled: false },
    });
    const service = await startService(cfg, { logger: silentLogger });
    const sub = await subscribe(service.brokerUrl!, ['uniad/site/#']);
    await service.stopped;
    const rejects = sub.json<Verdict>('reject');
    const heatmaps = sub.on('heatmap').length;
    await sub.close();

    expect(rejects.length).toBeGreaterThan(10);
    expect(heatmaps).toBeLessThan(rejects.length);
    const archive = statePaths(stateDir).archive;
    for (const r of rejects) {
      const dir = findEvidence(archive, r.id);
      expect(dir, r.id).toBeDefined();
      expect(existsSync(join(dir!, 'frame.png'))).toBe(true);
      if (r.reason === 'anomaly') expect(existsSync(join(dir!, 'heatmap.png'))).toBe(true);
    }

    const id = rejects[0]!.id;
    const { stdout } = await promisify(execFile)(process.execPath, [join(repoRoot, 'bin/uniad-edge.js'), 'evidence', id, '--state-dir', stateDir]);
    expect(stdout.split('\n')[0]).toBe(findEvidence(archive, id));
    expect(stdout).toMatch(/heatmap\.png/);
    expect(stdout).toContain(`"id": "${id}"`);
  });
});
