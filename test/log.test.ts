import { closeSync, fstatSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, excerpt, journalPriority, loggerFrom, maxLoggedChars, writesToJournal } from '../src/log.js';
import { logLevels } from '../src/types.js';

describe('logger', () => {
  it('writes one JSON object a line and never writes secrets', () => {
    const lines: string[] = [];
    const log = createLogger('info', 'test', (l) => lines.push(l), false);
    log.debug('hidden');
    log.info('connected', { url: 'mqtt://b', password: 'hunter2', apiKey: 'k', camera: 'c1' });
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0]!);
    expect(rec).toMatchObject({ level: 'info', scope: 'test', msg: 'connected', url: 'mqtt://b', password: '***', apiKey: '***', camera: 'c1' });
    expect(lines[0]).not.toContain('hunter2');
  });

  it('masks secrets at any depth, in objects and arrays, and cuts cycles and deep nesting instead of failing', () => {
    const lines: string[] = [];
    const log = createLogger('info', 'test', (l) => lines.push(l), false);
    const options = { mqtt: { url: 'mqtt://b', login: { username: 'svc', password: 'hunter2' } }, users: [{ name: 'op', secret: 's3cr3t' }], at: new Date(0) };
    const cyclic: Record<string, unknown> = { token: 'tok-123' };
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = { password: 'deep-pass' };
    for (let i = 0; i < 10_000; i++) deep = { next: deep };
    log.info('options', { options, cyclic, deep, shared: [options.users[0], options.users[0]] });
    expect(lines).toHaveLength(1);
    for (const secret of ['hunter2', 's3cr3t', 'tok-123', 'deep-pass']) expect(lines[0]).not.toContain(secret);
    const rec = JSON.parse(lines[0]!);
    expect(rec.options).toEqual({ mqtt: { url: 'mqtt://b', login: { username: 'svc', password: '***' } }, users: [{ name: 'op', secret: '***' }], at: '1970-01-01T00:00:00.000Z' });
    expect(rec.cyclic).toEqual({ token: '***', self: '[circular]' });
    expect(rec.shared).toEqual([{ name: 'op', secret: '***' }, { name: 'op', secret: '***' }]);
    expect(lines[0]).toContain('[too deep]');
  });
});

describe('log levels', () => {
  it('should print the given level and every more severe one, nothing less severe', () => {
    const lines: string[] = [];
    const log = createLogger('warn', 'test', (l) => lines.push(l), false);
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(lines.map((l) => JSON.parse(l).level)).toEqual(['warn', 'error']);
  });

  it('should build a logger with one method a level, each passing its level on', () => {
    const seen: unknown[] = [];
    const log = loggerFrom((level, msg, fields) => seen.push([level, msg, fields]));
    expect(Object.keys(log)).toEqual([...logLevels]);
    log.error('x', { a: 1 });
    log.debug('y');
    expect(seen).toEqual([['error', 'x', { a: 1 }], ['debug', 'y', undefined]]);
  });
});

describe('journal priorities', () => {
  it('should map each level to its syslog priority, so journalctl -p err finds errors', () => {
    expect(journalPriority).toEqual({ debug: 7, info: 6, warn: 4, error: 3 });
  });

  it('should prefix every line with <priority> when writing to the journal', () => {
    const lines: string[] = [];
    const log = createLogger('debug', 'test', (l) => lines.push(l), true);
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(lines.map((l) => l.slice(0, 3))).toEqual(['<7>', '<6>', '<4>', '<3>']);
    expect(JSON.parse(lines[3]!.slice(3))).toMatchObject({ level: 'error', msg: 'e' });
  });

  it('should see the journal only on the very stream $JOURNAL_STREAM names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uniad-log-'));
    const a = openSync(join(dir, 'a'), 'w');
    const b = openSync(join(dir, 'b'), 'w');
    try {
      const st = fstatSync(a);
      const env = { JOURNAL_STREAM: `${st.dev}:${st.ino}` };
      expect(writesToJournal(a, env)).toBe(true);
      expect(writesToJournal(b, env)).toBe(false);
      expect(writesToJournal(a, {})).toBe(false);
    } finally {
      closeSync(a);
      closeSync(b);
      rmSync(dir, { recursive: true });
    }
  });
});

describe('bounded log lines (issue 20, item 19)', () => {
  it('should cut every long value, however deep, and show a buffer as its size: a 1 MB payload is not a 1 MB line', () => {
    const lines: string[] = [];
    const log = createLogger('info', 'test', (l) => lines.push(l), false);
    const payload = 'x'.repeat(1_000_000);
    log.error('mqtt: the broker refused a queued message', { topic: 't', payload, nested: { deeper: [payload] }, raw: Buffer.alloc(1_000_000) });
    expect(lines[0]!.length).toBeLessThan(3 * maxLoggedChars + 500);
    const rec = JSON.parse(lines[0]!);
    expect(rec.payload).toBe(`${'x'.repeat(maxLoggedChars)}… (${1_000_000 - maxLoggedChars} more characters)`);
    expect(rec.nested.deeper[0]).toBe(rec.payload);
    expect(rec.raw).toBe('<1000000 bytes>');
    expect(rec.topic).toBe('t');
  });

  it('should leave a value within the bound as it is', () => {
    expect(excerpt('short')).toBe('short');
    expect(excerpt('abcdef', 3)).toBe('abc… (3 more characters)');
  });
});
