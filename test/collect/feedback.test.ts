/**
 * Operator feedback into the dataset, from frames the real evidence archive kept: a false reject joins its product's
 * good images, a missed defect is kept under test/ for evaluation, each with a line of feedback.jsonl; every case
 * that cannot be taken is refused with the reason, and nothing is written for it.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedbackBook, feedbackLog } from '../../src/collect/feedback.js';
import { EvidenceArchive, findEvidence } from '../../src/evidence/archive.js';
import { silentLogger } from '../../src/log.js';
import type { Decision } from '../../src/types.js';
import { decision } from '../sinks/fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'uniad-feedback-'));
const archiveDir = join(root, 'archive');
afterAll(() => rmSync(root, { recursive: true, force: true }));
const operator = { by: 'op', verified: true };
const where = { line: 'line1', camera: 'cam1' };

beforeAll(async () => {
  const failSafe = (seq: number): Decision => {
    const d = decision(seq, false);
    return { frame: d.frame, verdict: { ...d.verdict, score: null, normalizedScore: null, reject: true, reason: 'deadline' } };
  };
  const archive = new EvidenceArchive({ dir: archiveDir, maxBytes: 1e9, maxAgeMs: 1e12, goodSampleEvery: 1, logger: silentLogger });
  archive.record(decision(1, true)); // an anomaly reject
  archive.record(decision(2, true));
  archive.record(decision(3, false)); // a good sample
  archive.record(failSafe(4));
  await archive.close();
});

const files = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
const records = (dataset: string) => (existsSync(feedbackLog(dataset)) ? readFileSync(feedbackLog(dataset), 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : []);

describe('FeedbackBook', () => {
  it('should copy a false reject into <product>/train/good and a missed defect into <product>/test/<defect>, each with an audit record', () => {
    const dataset = join(root, 'data-a');
    const book = new FeedbackBook({ archiveDir, dataset, now: () => Date.parse('2026-12-06T23:50:00Z') });
    const reject = book.give({ ...where, verdictId: 'cam1:s1:1', kind: 'false-reject' }, operator);
    expect(reject).toEqual({ at: '2026-12-06T23:50:00.000Z', by: 'op', verified: true, verdictId: 'cam1:s1:1', kind: 'false-reject', product: 'bottle', camera: 'cam1', score: 1.5, threshold: 0.8, model: 'uniad-demo@1.0.0', file: join(dataset, 'bottle/train/good/0001.png') });
    expect(readFileSync(reject.file)).toEqual(readFileSync(join(findEvidence(archiveDir, 'cam1:s1:1')!, 'frame.png')));
    const missed = book.give({ ...where, verdictId: 'cam1:s1:3', kind: 'missed-defect', defect: 'scratch' }, { by: 'shift-lead', verified: false });
    expect(missed).toMatchObject({ kind: 'missed-defect', by: 'shift-lead', verified: false, file: join(dataset, 'bottle/test/scratch/0001.png') });
    expect(readFileSync(missed.file)).toEqual(readFileSync(join(findEvidence(archiveDir, 'cam1:s1:3')!, 'frame.png')));
    expect(records(dataset)).toEqual([reject, missed]);
  });

  it('should keep a missed defect without a kind under test/missed, next to the images collect adds', () => {
    const dataset = join(root, 'data-b');
    const book = new FeedbackBook({ archiveDir, dataset });
    expect(book.give({ ...where, verdictId: 'cam1:s1:3', kind: 'missed-defect' }, operator).file).toBe(join(dataset, 'bottle/test/missed/0001.png'));
    // training finds the product by its good folder, empty until collect or a false reject fills it
    expect(existsSync(join(dataset, 'bottle/train/good'))).toBe(true);
  });

  it('should refuse a second feedback on a verdict, naming the first, also after a restart', () => {
    const dataset = join(root, 'data-c');
    new FeedbackBook({ archiveDir, dataset }).give({ ...where, verdictId: 'cam1:s1:2', kind: 'false-reject' }, operator);
    const again = () => new FeedbackBook({ archiveDir, dataset }).give({ ...where, verdictId: 'cam1:s1:2', kind: 'false-reject' }, operator);
    expect(again).toThrow(/^verdict "cam1:s1:2" has feedback already: false-reject by op at \S+ \(.*bottle\/train\/good\/0001\.png\)$/);
    expect(files(join(dataset, 'bottle/train/good'))).toEqual(['0001.png']);
    expect(records(dataset)).toHaveLength(1);
  });

  it('should refuse what it cannot take, saying why, and write nothing', () => {
    const dataset = join(root, 'data-d');
    const book = new FeedbackBook({ archiveDir, dataset });
    const give = (verdictId: string, kind: 'false-reject' | 'missed-defect', at = where) => () => book.give({ ...at, verdictId, kind }, operator);
    expect(give('cam1:s1:99', 'false-reject')).toThrow(`verdict "cam1:s1:99" is not in the evidence archive (${archiveDir}): the archive keeps every reject's frame and 1 passed frame in archive.goodSampleEvery`);
    expect(give('cam1:s1:3', 'false-reject')).toThrow('verdict "cam1:s1:3" was not an anomaly reject (reject false, reason "ok"): a false reject is a good part the model rejected');
    expect(give('cam1:s1:4', 'false-reject')).toThrow('a fail-safe reject was never judged by the model');
    expect(give('cam1:s1:1', 'missed-defect')).toThrow('verdict "cam1:s1:1" was a reject (reason "anomaly"): a missed defect is a defective part the model passed');
    expect(give('cam1:s1:1', 'false-reject', { line: 'line1', camera: 'cam2' })).toThrow('verdict "cam1:s1:1" is of camera cam1 on line line1: send its feedback to that camera\'s topic, .../line1/cam1/feedback');
    expect(existsSync(dataset)).toBe(false);
  });
});
