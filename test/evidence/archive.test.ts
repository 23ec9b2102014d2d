import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { EvidenceArchive, findEvidence, readEvidenceVerdict, type EvidenceProblem } from '../../src/evidence/archive.js';
import { oldestToDelete } from '../../src/evidence/retention.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { backgroundNice } from '../../src/platform/background-thread.js';
import type { Decision, PartVerdict } from '../../src/types.js';
import { threadNices, threadsAtNice } from '../setup/thread-nices.js';
import { decision } from '../sinks/fixtures.js';

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

describe('oldestToDelete', () => {
  const e = (dir: string, bytes: number, at: number) => ({ dir, bytes, at });
  const entries = [e('a', 10, 100), e('b', 10, 200), e('c', 10, 300), e('d', 10, 400)];
  it('should count what is past the age limit, then the oldest until the rest fits the size limit', () => {
    expect(oldestToDelete(entries, 40, { maxBytes: 100, maxAgeMs: 150 }, 400)).toBe(2);
    expect(oldestToDelete(entries, 40, { maxBytes: 25, maxAgeMs: 1000 }, 400)).toBe(2);
    expect(oldestToDelete(entries, 40, { maxBytes: 100, maxAgeMs: 1000 }, 400)).toBe(0);
    expect(oldestToDelete(entries, 40, { maxBytes: 0, maxAgeMs: 0 }, 400)).toBe(4);
  });

  it('should stop at the first entry inside both limits, reading none after it', () => {
    const read: string[] = [];
    const watched = entries.map((x) => new Proxy(x, { get: (t, k) => (k === 'at' && read.push(t.dir), Reflect.get(t, k)) }));
    expect(oldestToDelete(watched, 40, { maxBytes: 35, maxAgeMs: 1000 }, 400)).toBe(1);
    expect(read).toEqual(['a', 'b']);
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

  it('should let a reader wait for the entry of one id still on its way to the disk, and not wait for one never recorded', async () => {
    const { a, dir } = archive();
    for (let seq = 1; seq <= 5; seq++) a.record(decision(seq, true));
    expect(findEvidence(dir, 'cam1:s1:5')).toBeUndefined();
    await a.settled('cam1:s1:5');
    expect(readEvidenceVerdict(findEvidence(dir, 'cam1:s1:5')!)).toMatchObject({ id: 'cam1:s1:5' });
    await a.settled('cam1:s1:99');
    await a.settled('cam1:s1:5');
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

  it('should count the disk an entry takes (its blocks, as du does), not the bytes of its files', async () => {
    const { a, dir } = archive();
    a.record(failSafe(1));
    await a.flush();
    const entry = findEvidence(dir, 'cam1:s1:1')!;
    const paths = [entry, ...readdirSync(entry).map((f) => join(entry, f))];
    const blocks = paths.reduce((s, p) => s + statSync(p).blocks * 512, 0);
    const length = readdirSync(entry).reduce((s, f) => s + statSync(join(entry, f)).size, 0);
    expect(a.stats().bytes).toBe(blocks);
    expect(a.stats().bytes).toBeGreaterThan(length); // a small PNG and a JSON file take whole blocks
    await a.close();
    const again = archive({ dir });
    expect(again.a.stats().bytes).toBe(blocks); // what a later run finds on disk, counted the same way
    await again.a.close();
  });

  it('should archive the evidence of a camera whose id is too long for a file name, and find it by its id', async () => {
    const { a, dir } = archive();
    for (const camera of ['c'.repeat(250), 'ü'.repeat(250), `${'c'.repeat(249)}d`]) {
      const d = decision(7, true);
      a.record({ ...d, verdict: { ...d.verdict, camera, id: `${camera}:run:7` } });
    }
    await a.flush();
    expect(a.stats()).toMatchObject({ archived: 3, dropped: 0 });
    const found = ['c'.repeat(250), 'ü'.repeat(250), `${'c'.repeat(249)}d`].map((camera) => findEvidence(dir, `${camera}:run:7`));
    expect(new Set(found).size).toBe(3);
    for (const [i, f] of found.entries()) {
      expect(Buffer.byteLength(basename(f!))).toBeLessThanOrEqual(200);
      expect(JSON.parse(readFileSync(join(f!, 'verdict.json'), 'utf8')).id).toMatch(new RegExp(`:run:7$`));
      expect(readdirSync(f!).sort(), `entry ${i}`).toEqual(['frame.png', 'heatmap.png', 'verdict.json']);
    }
    await a.close();
  });

  it('should age entries on the monotonic clock: a wall clock stepped 40 days ahead deletes nothing', async () => {
    const first = archive();
    first.a.record(decision(1, true));
    await first.a.close();
    let wall = Date.now();
    let mono = 0;
    const { a, dir } = archive({ dir: first.dir, maxAgeMs: 30 * dayMs, now: () => wall, monotonic: () => mono });
    wall += 40 * dayMs; // NTP steps the clock of a box without an RTC battery
    a.record(decision(2, true));
    await a.flush();
    expect(findEvidence(dir, 'cam1:s1:1')).toBeDefined();
    expect(a.stats().deleted).toBe(0);
    mono += 31 * dayMs; // 31 days really passed
    a.record(decision(3, true));
    await a.flush();
    expect([1, 2].map((s) => findEvidence(dir, `cam1:s1:${s}`))).toEqual([undefined, undefined]);
    expect(findEvidence(dir, 'cam1:s1:3')).toBeDefined();
    await a.close();
  });

  it('should count and report every entry it cannot write, tell the first and sum up the rest, and say when it archives again', async () => {
    const root = mkdtempSync(join(tmpdir(), 'uniad-evidence-fail-'));
    writeFileSync(join(root, 'state'), 'a file where the state folder belongs\n');
    const lines: { level: string; msg: string; [k: string]: unknown }[] = [];
    const logger = createLogger('debug', 'test', (l) => void lines.push(JSON.parse(l)), false);
    const dropped: string[] = [];
    const problems: (EvidenceProblem | undefined)[] = [];
    const dir = join(root, 'state', 'archive');
    const a = new EvidenceArchive({ dir, maxBytes: 1e9, maxAgeMs: 30 * dayMs, goodSampleEvery: 0, logger, onDropped: (r) => dropped.push(r), onProblem: (p) => problems.push(p) });
    for (let seq = 1; seq <= 40; seq++) a.record(failSafe(seq));
    await a.flush();
    expect(a.stats()).toMatchObject({ archived: 0, dropped: 40, droppedBy: { 'no-folder': 40 } });
    expect(dropped).toEqual(Array(40).fill('no-folder'));
    expect(problems).toEqual([{ reason: 'no-folder', error: expect.stringContaining('ENOTDIR'), since: expect.any(Number) }]);
    // one line for the first, not one a reject
    expect(lines.filter((l) => l.level === 'error' || l.level === 'warn').map((l) => l.msg)).toEqual(['evidence not archived; until it is again, further drops are summed up once a minute']);

    rmSync(join(root, 'state'));
    a.record(failSafe(41));
    await a.close();
    expect(a.stats()).toMatchObject({ archived: 1, dropped: 40 });
    expect(lines.map((l) => l.msg).slice(1)).toEqual(['evidence not archived: 39 more', 'evidence archived again']);
    expect(lines[1]).toMatchObject({ byReason: { 'no-folder': 39 } });
    expect(problems.at(-1)).toBeUndefined();
    expect(problems).toHaveLength(2);
    rmSync(root, { recursive: true, force: true });
  });

  it('should count and log entries dropped under a burst (busy), without calling the box degraded', async () => {
    const problems: (EvidenceProblem | undefined)[] = [];
    const dropped: string[] = [];
    const { a } = archive({ maxPending: 1, onDropped: (r) => dropped.push(r), onProblem: (p) => problems.push(p) });
    for (let seq = 1; seq <= 5; seq++) a.record(decision(seq, true));
    await a.close();
    expect(a.stats()).toMatchObject({ archived: 1, dropped: 4, droppedBy: { busy: 4 } });
    expect(dropped).toEqual(['busy', 'busy', 'busy', 'busy']);
    expect(problems.filter((p) => p !== undefined)).toEqual([]);
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

describe('EvidenceArchive, parts', () => {
  const part = (partId: string, reject: boolean, reason: PartVerdict['reason']): PartVerdict => ({
    id: `cam1:part:${partId}`,
    partId,
    camera: 'cam1',
    line: 'line1',
    product: 'bolt',
    verdictIds: reason === 'no-frame' ? [] : ['cam1:s1:1'],
    reject,
    reason,
    score: reason === 'no-frame' ? null : 0.9,
    threshold: reason === 'no-frame' ? null : 0.5,
    signalAt: 1000,
    decidedAt: 10 * dayMs,
    model: 'tiny@1',
    source: 'trigger',
  });

  it('should keep the JSON of a rejected part and of one the fail-safe passed, and nothing of a part that passed', async () => {
    const { a, dir } = archive();
    a.recordPart(part('1', true, 'anomaly'));
    a.recordPart(part('2', false, 'no-frame'));
    a.recordPart(part('3', false, 'ok'));
    await a.flush();
    const rejected = findEvidence(dir, 'cam1:part:1')!;
    expect(readdirSync(rejected)).toEqual(['part.json']);
    expect(rejected).toContain(join(new Date(10 * dayMs).toISOString().slice(0, 10), 'cam1+part+1'));
    expect(readEvidenceVerdict(rejected)).toMatchObject({ id: 'cam1:part:1', verdictIds: ['cam1:s1:1'] });
    expect(readEvidenceVerdict(findEvidence(dir, 'cam1:part:2')!)).toMatchObject({ reason: 'no-frame', reject: false });
    expect(findEvidence(dir, 'cam1:part:3')).toBeUndefined();
  });

  it("should keep a PLC's part id that is no file name as one folder of the archive", async () => {
    const { a, dir } = archive();
    a.recordPart(part('../../x/y', true, 'no-frame'));
    await a.flush();
    const entry = findEvidence(dir, 'cam1:part:../../x/y')!;
    expect(entry).toBe(join(dir, new Date(10 * dayMs).toISOString().slice(0, 10), 'cam1+part+..%2F..%2Fx%2Fy'));
    expect(readdirSync(dir)).toEqual([new Date(10 * dayMs).toISOString().slice(0, 10)]);
  });

  it("should not let frames waiting for the writer crowd out a part's entry", async () => {
    const { a, dir } = archive({ maxPending: 1 });
    for (let seq = 1; seq <= 5; seq++) a.record(decision(seq, true));
    a.recordPart(part('9', true, 'anomaly'));
    await a.flush();
    expect(a.stats().dropped).toBe(4);
    expect(findEvidence(dir, 'cam1:part:9')).toBeDefined();
  });
});
