import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { backgroundNice } from '../../src/platform/background-thread.js';
import { EvidenceArchive, findEvidence } from '../../src/sinks/evidence/archive.js';
import { toDelete } from '../../src/sinks/evidence/retention.js';
import type { Decision } from '../../src/types.js';
import { threadNices, threadsAtNice } from '../setup/thread-nices.js';
import { decision } from './fixtures.js';

const dayMs = 86_400_000;

function failSafe(seq: number): Decision {
  const d = decision(seq, false);
  return { frame: d.frame, verdict: { ...d.verdict, score: null, normalizedScore: null, reject: true, reason: 'deadline' } };
}

function archive(over: Partial<ConstructorParameters<typeof EvidenceArchive>[0]> = {}) {
  let now = 10 * dayMs;
  const dir = over.dir ?? mkdtempSync(join(tmpdir(), 'uniad-evidence-'));
  const a = new EvidenceArchive({ dir, maxBytes: 1e9, maxAgeMs: 30 * dayMs, goodSampleEvery: 0, logger: silentLogger, now: () => now, ...over });
  return { a, dir, advance: (ms: number) => (now += ms) };
}

describe('toDelete', () => {
  const e = (dir: string, bytes: number, at: number) => ({ dir, bytes, at });
  it('should delete what is past the age limit, then the oldest until the rest fits the size limit', () => {
    const entries = [e('c', 10, 300), e('a', 10, 100), e('b', 10, 200), e('d', 10, 400)];
    expect(toDelete(entries, { maxBytes: 100, maxAgeMs: 150 }, 400).map((x) => x.dir)).toEqual(['a', 'b']);
    expect(toDelete(entries, { maxBytes: 25, maxAgeMs: 1000 }, 400).map((x) => x.dir)).toEqual(['a', 'b']);
    expect(toDelete(entries, { maxBytes: 100, maxAgeMs: 1000 }, 400)).toEqual([]);
  });
});

describe('EvidenceArchive', () => {
  it('should keep frame, heatmap and verdict of an anomaly reject, frame and verdict of a fail-safe reject, and no passed frame', async () => {
    const { a, dir } = archive();
    a.record(decision(1, true));
    a.record(failSafe(2));
    a.record(decision(3, false));
    await a.flush();
    const anomaly = findEvidence(dir, 'cam1:s1:1')!;
    expect(readdirSync(anomaly).sort()).toEqual(['frame.png', 'heatmap.png', 'verdict.json']);
    expect(anomaly).toContain(join(new Date(1001).toISOString().slice(0, 10), 'cam1+s1+1'));
    expect(JSON.parse(readFileSync(join(anomaly, 'verdict.json'), 'utf8'))).toMatchObject({ id: 'cam1:s1:1', reason: 'anomaly' });
    const frame = PNG.sync.read(readFileSync(join(anomaly, 'frame.png')));
    expect([frame.width, frame.height, frame.data[0]]).toEqual([32, 24, 128]);
    expect(readdirSync(findEvidence(dir, 'cam1:s1:2')!).sort()).toEqual(['frame.png', 'verdict.json']);
    expect(findEvidence(dir, 'cam1:s1:3')).toBeUndefined();
    expect(a.stats()).toMatchObject({ archived: 2, dropped: 0 });
  });

  it.runIf(process.platform === 'linux')('should encode and write in a thread of lower priority than the rest of the process', async () => {
    const before = threadsAtNice(backgroundNice);
    const { a } = archive();
    a.record(decision(1, true));
    await a.flush();
    expect(threadsAtNice(backgroundNice)).toBe(before + 1);
    expect(threadNices().get(process.pid)).toBe(0);
    await a.close();
  });

  it('should keep one good frame in N per camera when sampling is on', async () => {
    const { a, dir } = archive({ goodSampleEvery: 3 });
    for (let seq = 1; seq <= 9; seq++) a.record(decision(seq, false));
    await a.flush();
    expect([3, 6, 9].every((s) => findEvidence(dir, `cam1:s1:${s}`) !== undefined)).toBe(true);
    expect(a.stats().archived).toBe(3);
  });

  it('should delete the oldest entries once the archive is over its size limit', async () => {
    const probe = archive();
    probe.a.record(decision(0, true));
    await probe.a.flush();
    const entryBytes = probe.a.stats().bytes;
    const { a, dir, advance } = archive({ maxBytes: entryBytes * 3.5 });
    for (let seq = 1; seq <= 6; seq++) {
      a.record(decision(seq, true));
      await a.flush();
      advance(1000);
    }
    expect([1, 2, 3].map((s) => findEvidence(dir, `cam1:s1:${s}`))).toEqual([undefined, undefined, undefined]);
    expect([4, 5, 6].every((s) => findEvidence(dir, `cam1:s1:${s}`) !== undefined)).toBe(true);
    expect(a.stats()).toMatchObject({ archived: 6, deleted: 3 });
    expect(a.stats().bytes).toBeLessThanOrEqual(entryBytes * 3.5);
  });

  it('should delete entries older than the age limit, also ones a previous run left', async () => {
    const first = archive({ maxAgeMs: 2 * dayMs });
    first.a.record(decision(1, true));
    await first.a.flush();
    // A new run on the same folder finds the old entry (its file time is real time, far past the test clock's).
    const { a, dir } = archive({ dir: first.dir, maxAgeMs: 2 * dayMs, now: () => Date.now() + 3 * dayMs });
    expect(a.stats().bytes).toBeGreaterThan(0);
    a.record(decision(2, true));
    await a.flush();
    expect(findEvidence(dir, 'cam1:s1:1')).toBeUndefined();
    expect(existsSync(findEvidence(dir, 'cam1:s1:2')!)).toBe(true);
  });
});
