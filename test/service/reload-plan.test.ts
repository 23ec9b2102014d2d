/** What a reload applies and what it names as needing a restart: nothing silently ignored (issue 20, items 4 and 21). */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { planReload } from '../../src/service/reload-plan.js';

const camera = (id: string, extra: Record<string, unknown> = {}) => ({ id, line: 'l', product: 'bolt', source: 'test:ball', ...extra });
const config = (cameras: Record<string, unknown>[], extra: Record<string, unknown> = {}) =>
  parseConfig({ cameras, model: { path: '/m.onnx' }, ...extra, mqtt: { queue: { store: 'memory' }, ...(extra['mqtt'] as object) } });

describe('planReload', () => {
  it('should add and remove cameras, and restart alone one whose capture settings changed', () => {
    const old = config([camera('a'), camera('b', { watchdogSeconds: 10 }), camera('c', { decoder: 'auto' })]);
    const next = config([camera('b', { watchdogSeconds: 30 }), camera('c', { decoder: 'software', overload: 'keep-latest', threshold: 0.9 }), camera('d')]);
    const plan = planReload(old, next, false);
    expect(plan.cameras.added.map((c) => c.id)).toEqual(['d']);
    expect(plan.cameras.removed.map((c) => c.id)).toEqual(['a']);
    expect(plan.cameras.restarted.map((r) => [r.camera.id, r.changed])).toEqual([
      ['b', ['watchdogSeconds']],
      ['c', ['decoder']],
    ]);
    // overload and thresholds apply without a restart: nothing to name
    expect(plan.needRestart).toEqual([]);
  });

  it('should restart no camera whose product or thresholds alone changed', () => {
    const plan = planReload(config([camera('a')]), config([camera('a', { product: 'nut', thresholds: { bolt: 2 }, overload: 'keep-latest' })]), false);
    expect(plan.cameras).toEqual({ added: [], removed: [], restarted: [] });
  });

  it('should name every other change as needing a restart, and take the model settings a swap opens the new model with', () => {
    const old = config([camera('a')]);
    const next = config([camera('a')], {
      node: 'other',
      model: { path: '/m.onnx', batchMaxSize: 2, providers: ['cpu'] },
      mqtt: { queue: { store: 'memory' }, prefix: 'p/q', commands: false },
      archive: { maxMegabytes: 5 },
      dashboard: { port: 9999 },
      shadow: { path: '/s.onnx' },
    });
    expect(planReload(old, next, false).needRestart).toEqual(['node', 'model.providers', 'model.batchMaxSize', 'mqtt.prefix', 'archive.maxMegabytes', 'dashboard.port']);
    expect(planReload(old, next, true).needRestart).toEqual(['node', 'model.batchMaxSize', 'mqtt.prefix', 'archive.maxMegabytes', 'dashboard.port']);
  });
});
