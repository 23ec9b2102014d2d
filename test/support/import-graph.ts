import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Files (paths relative to the walked root, `/`-separated) and the files of the same tree each one imports. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/** Folders of `src/` a frame passes through; each stands alone (docs/architecture.md, "What may import what"). */
export const layers = ['sources', 'pipeline', 'sinks'] as const;

/** Static `import … from`, `export … from`, side-effect `import '…'` and dynamic `import('…')` specifiers. */
const specifier = /(?:^|[\s;}])(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

export function importSpecifiers(source: string): string[] {
  const noComments = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...noComments.matchAll(specifier)].map((m) => (m[1] ?? m[2] ?? m[3])!);
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const posix = (path: string) => path.split(sep).join('/');

/** The graph of relative imports between the .ts files under `root` (`./x.js` resolves to `x.ts`, as NodeNext does). */
export function importGraph(root: string): ImportGraph {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(root)) {
    const targets = importSpecifiers(readFileSync(file, 'utf8'))
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => posix(relative(root, resolve(dirname(file), spec.replace(/\.js$/, '.ts')))));
    graph.set(posix(relative(root, file)), targets);
  }
  return graph;
}

/** Imports that name no .ts file of the tree: a misspelt path, or a specifier this parser read wrong. */
export function unresolvedImports(graph: ImportGraph): string[] {
  return [...graph].flatMap(([file, targets]) => targets.filter((to) => !to.startsWith('../') && !graph.has(to)).map((to) => `${file} -> ${to}`));
}

const layerOf = (file: string): string | undefined => layers.find((layer) => file.startsWith(`${layer}/`));

/**
 * Why `to` must not be reachable from a file of `layer`, or undefined when it may be: another layer, the config, or
 * the wiring above the layers (`service.ts`, `service/`, `cli.ts`, `demo.ts`).
 */
function forbiddenFor(layer: string, to: string): string | undefined {
  const other = layerOf(to);
  if (other !== undefined) return other === layer ? undefined : `${layer}/ must not depend on ${other}/`;
  if (to === 'config.ts') return `${layer}/ must not depend on config.ts (declare what it needs; the wiring passes config in)`;
  if (to === 'service.ts' || to.startsWith('service/') || to === 'cli.ts' || to === 'demo.ts') return `${layer}/ must not depend on the wiring (${to})`;
  return undefined;
}

/**
 * Every chain of imports from a layer file to something that layer must not depend on, directly or through a shared
 * module at `src/`; one line per offending (file, target): `a.ts -> b.ts -> c.ts: reason`.
 */
export function forbiddenEdges(graph: ImportGraph): string[] {
  const found: string[] = [];
  for (const start of graph.keys()) {
    const layer = layerOf(start);
    if (layer === undefined) continue;
    const via = new Map<string, string>([[start, '']]);
    const queue = [start];
    while (queue.length > 0) {
      const file = queue.shift()!;
      for (const to of graph.get(file) ?? []) {
        if (via.has(to)) continue;
        via.set(to, file);
        const reason = forbiddenFor(layer, to);
        if (reason === undefined) {
          queue.push(to);
          continue;
        }
        const chain = [to];
        for (let at = file; at !== ''; at = via.get(at)!) chain.unshift(at);
        found.push(`${chain.join(' -> ')}: ${reason}`);
      }
    }
  }
  return found;
}

/** Import cycles, each as the files of one strongly connected component (Tarjan), sorted. */
export function importCycles(graph: ImportGraph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    onStack.add(file);
    for (const to of graph.get(file) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(file, Math.min(low.get(file)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(file, Math.min(low.get(file)!, index.get(to)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) cycles.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return cycles;
}
