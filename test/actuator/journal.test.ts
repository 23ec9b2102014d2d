import { appendFileSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Journal } from '../../src/actuator/journal.js';
import { silentLogger } from '../../src/log.js';
import { tempDir } from './fixtures.js';

const temp = tempDir('journal');
afterAll(() => temp.rm());

describe('the journal', () => {
  it('should keep at most twice its bound: the file and one older', () => {
    const dir = join(temp.dir, 'bounded');
    const journal = new Journal(dir, 4096, silentLogger);
    for (let i = 0; i < 200; i++) journal.write({ kind: 'ejection', id: `cam1:part:${i}`, reason: i % 2 === 0 ? 'decided' : 'fail-safe', padding: 'x'.repeat(40) });
    expect(statSync(journal.path).size).toBeLessThanOrEqual(4096);
    expect(statSync(join(dir, 'journal.1.jsonl')).size).toBeLessThanOrEqual(4096);
    const kept = journal.ejections();
    expect(kept.at(-1)).toEqual({ id: 'cam1:part:199', decided: false });
    expect(kept.at(-2)).toEqual({ id: 'cam1:part:198', decided: true });
    expect(kept.length).toBeLessThan(200);
    // in order across both files
    expect(kept.map((k) => Number(k.id.split(':')[2]))).toEqual([...kept.keys()].map((i) => 200 - kept.length + i));
  });

  it('should read past a line cut short by a crash, and only ejections', () => {
    const dir = join(temp.dir, 'cut');
    const journal = new Journal(dir, 1 << 20, silentLogger);
    journal.write({ kind: 'ejection', id: 'cam1:part:1', reason: 'decided' });
    journal.write({ kind: 'decision', fate: 'late', id: 'cam1:part:2' });
    appendFileSync(journal.path, '{"kind":"ejection","id":"cam1:pa');
    expect(new Journal(dir, 1 << 20, silentLogger).ejections()).toEqual([{ id: 'cam1:part:1', decided: true }]);
    expect(readFileSync(journal.path, 'utf8').split('\n')[0]).toMatch(/^\{"t":"\d{4}-\d\d-\d\dT[^"]+","kind":"ejection","id":"cam1:part:1","reason":"decided"\}$/);
  });

  it('should count a write that fails and go on', () => {
    const dir = join(temp.dir, 'gone');
    let errors = 0;
    const journal = new Journal(dir, 1 << 20, silentLogger, () => errors++);
    rmSync(dir, { recursive: true });
    expect(() => journal.write({ kind: 'hold', on: true })).not.toThrow();
    expect(errors).toBe(1);
  });
});
