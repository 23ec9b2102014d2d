import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './setup/paths.js';
import { folderRules, forbiddenEdges, importCycles, importGraph, importSpecifiers, unresolvedImports, type ImportGraph } from './support/import-graph.js';

const graph = (edges: Record<string, string[]>): ImportGraph => new Map(Object.entries(edges));

describe('the imports of src/', () => {
  const src = importGraph(join(repoRoot, 'src'));

  it('should be read from every file, each resolving to a file of src/', () => {
    expect(src.size).toBeGreaterThan(40);
    expect(src.get('service/inspection.ts')).toContain('pipeline/inspect.ts');
    expect(unresolvedImports(src)).toEqual([]);
  });

  it('should find files in every folder the rules name, so a folder renamed or moved cannot slip out of them', () => {
    const files = [...src.keys()];
    expect(Object.keys(folderRules).filter((folder) => !files.some((f) => f.startsWith(`${folder}/`)))).toEqual([]);
  });

  it('should keep each checked folder to what it may reach (folderRules), away from config.ts and from the wiring', () => {
    expect(forbiddenEdges(src)).toEqual([]);
  });

  it('should contain no cycle', () => {
    expect(importCycles(src)).toEqual([]);
  });
});

describe('the import rules', () => {
  it('should read import, export-from, side-effect and dynamic specifiers, but not commented ones', () => {
    const source = [
      "import { a } from './a.js';",
      "import type {\n  B,\n} from '../b.js';",
      "export { c } from './c.js';",
      "export * from './d.js';",
      "import './e.js';",
      "const f = await import('./f.js');",
      "// import { g } from './g.js';",
      "/* import { h } from './h.js'; */",
    ].join('\n');
    expect(importSpecifiers(source)).toEqual(['./a.js', '../b.js', './c.js', './d.js', './e.js', './f.js']);
  });

  it('should report a layer importing another layer or config.ts, directly or through a shared module', () => {
    const edges = graph({
      'sources/capture.ts': ['config.ts', 'types.ts'],
      'pipeline/supervisor.ts': ['backoff.ts'],
      'backoff.ts': ['sources/capture.ts'],
      'sinks/mqtt.ts': ['service/sink.ts'],
      'service/sink.ts': ['sinks/mqtt.ts'],
      'config.ts': ['sources/uri.ts'],
      'sources/uri.ts': [],
      'types.ts': [],
    });
    expect(forbiddenEdges(edges)).toEqual([
      'sources/capture.ts -> config.ts: sources/ must not depend on config.ts (declare what it needs; the wiring passes config in)',
      'pipeline/supervisor.ts -> backoff.ts -> sources/capture.ts: pipeline/ must not depend on sources/',
      'sinks/mqtt.ts -> service/sink.ts: sinks/ must not depend on the wiring (service/sink.ts)',
    ]);
  });

  it('should report a layer importing a module of config/, as it would config.ts', () => {
    const edges = graph({ 'sinks/feed.ts': ['types.ts'], 'types.ts': ['config/fields.ts'], 'config/fields.ts': ['sinks/topics.ts'], 'sinks/topics.ts': [] });
    expect(forbiddenEdges(edges)).toEqual(['sinks/feed.ts -> types.ts -> config/fields.ts: sinks/ must not depend on config/fields.ts (declare what it needs; the wiring passes config in)']);
  });

  it('should report a layer importing a command, which is wiring like cli.ts', () => {
    expect(forbiddenEdges(graph({ 'pipeline/engine.ts': ['commands/evaluate.ts'], 'commands/evaluate.ts': [] }))).toEqual([
      'pipeline/engine.ts -> commands/evaluate.ts: pipeline/ must not depend on the wiring (commands/evaluate.ts)',
    ]);
  });

  it('should report an edge between the folders split out of sinks/, and let each reach only the folders it may', () => {
    const edges = graph({
      'http/dashboard.ts': ['url-host.ts', 'sinks/topics.ts'],
      'url-host.ts': [],
      'images/feed.ts': ['images/heatmap.ts', 'sinks/payload.ts'],
      'images/heatmap.ts': [],
      // sinks/ and evidence/ may use images/, calibrate/ images/ and config.ts: those follow their own rules
      'sinks/image-publisher.ts': ['images/renderer.ts'],
      'images/renderer.ts': ['entry.ts'],
      'entry.ts': [],
      'evidence/archive.ts': ['images/png-encode.ts', 'operator-commands.ts'],
      'operator-commands.ts': ['broker/acl.ts'],
      'broker/acl.ts': ['http/metrics.ts'],
      'calibrate/score-plot.ts': ['images/png-text.ts', 'config.ts', 'evaluation/auroc.ts'],
      'config.ts': ['sinks/topics.ts'],
      'doctor/doctor.ts': ['sinks/broker-url.ts'],
    });
    expect(forbiddenEdges(edges)).toEqual([
      'http/dashboard.ts -> sinks/topics.ts: http/ must not depend on sinks/',
      'images/feed.ts -> sinks/payload.ts: images/ must not depend on sinks/',
      'evidence/archive.ts -> operator-commands.ts -> broker/acl.ts: evidence/ must not depend on broker/',
      'broker/acl.ts -> http/metrics.ts: broker/ must not depend on http/',
      'calibrate/score-plot.ts -> evaluation/auroc.ts: calibrate/ must not depend on evaluation/',
      'doctor/doctor.ts -> sinks/broker-url.ts: doctor/ must not depend on sinks/',
    ]);
  });

  it('should let the actuator reach the single files of sinks/ and config/ it may, and nothing else of the service', () => {
    const edges = graph({
      'actuator/station.ts': ['plc/modbus-link.ts', 'sinks/topics.ts', 'config/fields.ts', 'sinks/mqtt-link.ts', 'config/schema.ts', 'pipeline/decide.ts', 'service/broker.ts'],
      'plc/modbus-link.ts': ['errors.ts'],
      'plc/trigger.ts': ['sinks/topics.ts'],
      'sinks/topics.ts': ['errors.ts'],
      'config/fields.ts': ['sinks/topics.ts'],
      'errors.ts': [],
    });
    expect(forbiddenEdges(edges)).toEqual([
      'actuator/station.ts -> sinks/mqtt-link.ts: actuator/ must not depend on sinks/',
      'actuator/station.ts -> config/schema.ts: actuator/ must not depend on config/schema.ts (declare what it needs; the wiring passes config in)',
      'actuator/station.ts -> pipeline/decide.ts: actuator/ must not depend on pipeline/',
      'actuator/station.ts -> service/broker.ts: actuator/ must not depend on the wiring (service/broker.ts)',
      'plc/trigger.ts -> sinks/topics.ts: plc/ must not depend on sinks/',
    ]);
  });

  it('should find every cycle, including one through a module at src/', () => {
    const edges = graph({ 'a.ts': ['sources/b.ts'], 'sources/b.ts': ['a.ts'], 'c.ts': ['c.ts'], 'd.ts': ['a.ts'] });
    expect(importCycles(edges)).toEqual([['a.ts', 'sources/b.ts'], ['c.ts']]);
  });
});
