import { describe, expect, it } from 'vitest';
import { DropTally, dropReason } from '../../src/evidence/drop-tally.js';

describe('DropTally', () => {
  it('should tell the first drop of a stretch, sum up the rest once a minute, and end it once archiving works for the quiet time', () => {
    const t = new DropTally(10_000, 60_000);
    expect(t.due(0)).toEqual({});
    expect(t.drop('no-space', 0)).toEqual({ first: true, changed: true });
    for (let at = 1; at <= 832; at++) expect(t.drop('no-space', at * 50)).toEqual({ first: false, changed: false });
    expect(t.due(30_000)).toEqual({}); // not a minute yet
    expect(t.due(60_000)).toEqual({ summary: { dropped: 832, byReason: { 'no-space': 832 } } });
    expect(t.due(65_000)).toEqual({});
    t.archived(); // space is back
    expect(t.drop('busy', 66_000)).toEqual({ first: false, changed: true }); // an overload meanwhile
    t.archived();
    expect(t.due(75_000)).toEqual({}); // archiving works, but the last drop is not 10 s ago
    expect(t.due(76_000)).toEqual({ summary: { dropped: 1, byReason: { busy: 1 } }, ended: { dropped: 834 } });
    expect(t.dropping).toBe(false);
    expect(t.drop('busy', 90_000)).toEqual({ first: true, changed: true });
  });

  it('should not end a stretch while nothing is archived, however quiet', () => {
    const t = new DropTally(10_000, 60_000);
    t.drop('read-only', 0);
    expect(t.due(1e9)).toEqual({});
    expect(t.dropping).toBe(true);
  });

  it('should name the reason of a failed write by its error code', () => {
    expect(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'ENAMETOOLONG', 'ENOTDIR', 'EIO', 'EBADF', undefined].map(dropReason)).toEqual([
      'no-space',
      'no-space',
      'read-only',
      'permission',
      'name-too-long',
      'no-folder',
      'io',
      'error',
      'error',
    ]);
  });
});
