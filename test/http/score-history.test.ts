import { describe, expect, it } from 'vitest';
import { ScoreHistory } from '../../src/http/score-history.js';
import type { Verdict } from '../../src/types.js';

const verdict: Verdict = {
  id: 'cam1:r:7', camera: 'cam1', line: 'l1', product: 'écrou', seq: 7, capturedAt: 1, decidedAt: 2, score: 0.9, threshold: 0.5, normalizedScore: 1.8, reject: true, reason: 'anomaly', model: 'm@1',
};

describe('ScoreHistory', () => {
  it('should keep the newest points of each camera, oldest first', () => {
    const h = new ScoreHistory(2);
    for (let i = 0; i < 3; i++) h.add({ ...verdict, decidedAt: i, score: i / 10 });
    h.add({ ...verdict, camera: 'cam2', score: null, reject: true });
    expect(h.toJSON()).toEqual({ 'l1/cam1': [[1, 0.1, 0.5, true], [2, 0.2, 0.5, true]], 'l1/cam2': [[2, null, 0.5, true]] });
  });
});
