import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './setup/paths.js';
import { forbiddenEdges, importCycles, importGraph, importSpecifiers, unresolvedImports, type ImportGraph } from './support/import-graph.js';

const graph = (edges: Record<string, string[]>): ImportGraph => new Map(Object.entries(edges));

describe('the imports of src/', () => {
  const src = importGraph(join(repoRoot, 'src'));

  it('should be read from every file, each resolving to a file of src/', () => {
    expect(src.size).toBeGreaterThan(40);
    expect(src.get('service/inspection.ts')).toContain('pipeline/inspect.ts');
    expect(unresolvedImports(src)).toEqual([]);
  });

  it('should keep sources/, pipeline/ and sinks/ apart from each other, from config.ts and from the wiring', () => {
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

  it('should find every cycle, including one through a module at src/', () => {
    const edges = graph({ 'a.ts': ['sources/b.ts'], 'sources/b.ts': ['a.ts'], 'c.ts': ['c.ts'], 'd.ts': ['a.ts'] });
    expect(importCycles(edges)).toEqual([['a.ts', 'sources/b.ts'], ['c.ts']]);
  });
});
