/**
 * `uniad-edge check` says what the box can carry (issue 20, item 19): the frames a second the cameras send against the
 * frames a second the model scored in its timed dry run. Real model (the slow tiny one: about 10 ms a frame).
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { loggerFrom } from '../../src/log.js';
import { assumedCameraFps, capacity, capacityWarning } from '../../src/service/capacity.js';
import { checkService } from '../../src/service/check.js';
import { tinyModels } from '../setup/tiny-model.js';

const config = (cameras: Record<string, unknown>[], model = tinyModels.slow) => parseConfig({ stateDir: '/nonexistent/uniad-capacity', cameras, model: { path: model, providers: ['cpu'], threads: 1 } });
const cam = (i: number, extra: Record<string, unknown> = {}) => ({ id: `c${i}`, line: 'l', product: 'bolt', source: 'test:ball', ...extra });

describe('capacity', () => {
  it('should count what the cameras send: their fps, else an assumed rate, and nothing for a file that waits for the model', () => {
    const cfg = config([cam(1, { fps: 10 }), cam(2), cam(3, { source: '/tmp/x.mp4' }), cam(4, { source: '/tmp/y.mp4', live: true, fps: 5 })]);
    expect(capacity(cfg.cameras, 100)).toEqual({ needed: 10 + assumedCameraFps + 5, assumed: ['c2'], measured: 100 });
    expect(capacityWarning(capacity(cfg.cameras, 100))).toBeUndefined();
    expect(capacityWarning(capacity(cfg.cameras, 20))).toBe(
      'the cameras send about 40 frames a second (1 camera(s) without fps counted at 25), the model scored 20 a second here in the dry run: about 20 a second would get "deadline" verdicts (cap the cameras\' fps, crop less, use a faster provider, or spread the cameras over more boxes)',
    );
  });

  it('should make check say, for 500 cameras, what the box carries against what they send, from the dry run it timed', async () => {
    const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
    const logger = loggerFrom((level, msg, fields) => void lines.push({ level, msg, fields }));
    const cfg = config(Array.from({ length: 500 }, (_, i) => cam(i, { fps: 240 })));
    await checkService(cfg, logger);
    // whatever this box's speed: the line check logs is the one its own measurement gives
    const said = lines.find((l) => l.fields?.['framesPerSecondNeeded'] === 120_000)!;
    expect(said).toBeDefined();
    const scored = said.fields!['framesPerSecondScored'] as number;
    expect(scored).toBeGreaterThan(0);
    const expected = capacityWarning(capacity(cfg.cameras, scored));
    if (expected === undefined) expect(said).toMatchObject({ level: 'info', msg: 'the box can carry the cameras' });
    else expect(said).toMatchObject({ level: 'warn', fields: { cameras: 500 } });
    if (expected !== undefined) expect(said.msg).toMatch(/^the cameras send about 120000 frames a second, the model scored \d+ a second here in the dry run/);
  }, 60_000);
});
