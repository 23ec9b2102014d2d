/**
 * A reload (SIGHUP) does not change how a camera forms parts: its formers and part signal were made at start. The
 * reload names such a change as needing a restart and applies the rest.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { planReload } from '../../src/service/reload-plan.js';
import { tinyModels } from '../setup/tiny-model.js';

describe('reloading a camera with parts', () => {
  it("should name a change of a camera's parts as needing a restart, and not one of its threshold", () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'uniad-reload-parts-'));
    const config = (parts: Record<string, unknown> | undefined, threshold?: number) =>
      parseConfig({ stateDir, cameras: [{ id: 'a', line: 'l', product: 'bolt', source: 'test:', ...(parts ? { parts } : {}), ...(threshold === undefined ? {} : { threshold }) }], model: { path: tinyModels.ok } });
    const station = { detector: { kind: 'station' } };
    expect(planReload(config(station), config({ detector: { kind: 'station', frames: 5 } }), false).needRestart).toEqual(['cameras.a.parts']);
    expect(planReload(config(undefined), config(station), false).needRestart).toEqual(['cameras.a.parts']);
    expect(planReload(config(station), config(station, 0.3), false).needRestart).toEqual([]);
  });
});
