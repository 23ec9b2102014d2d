import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';

describe('logger', () => {
  it('writes one JSON object a line and never writes secrets', () => {
    const lines: string[] = [];
    const log = createLogger('info', 'test', (l) => lines.push(l));
    log.debug('hidden');
    log.info('connected', { url: 'mqtt://b', password: 'hunter2', apiKey: 'k', camera: 'c1' });
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0]!);
    expect(rec).toMatchObject({ level: 'info', scope: 'test', msg: 'connected', url: 'mqtt://b', password: '***', apiKey: '***', camera: 'c1' });
    expect(lines[0]).not.toContain('hunter2');
  });
});
